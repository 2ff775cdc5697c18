// KwayPeerGoldenTests: k-way rotations and labels against goldens made by ncut_pytorch's axis_align and quick_kway (ReferenceData/peer/kway).
using NcutKernels.IO;
using NcutKernels.Spectral;
using NUnit.Framework;

namespace NcutKernels.Tests.Spectral;

/// <summary>
/// Goldens from ReferenceData/tools/make_peer_kway_golden.py: ncut_pytorch's <c>kway_ncut</c> (axis_align) and
/// <c>quick_kway</c> on its own 400×6 eigenvectors of four blobs (ReferenceData/peer/rbf_blobs), with its farthest-point
/// sampling replaced by the same deterministic greedy walk ours uses (fpsample is not installed and starts at a random
/// row). n ≤ 10240, so no rows are sampled. ncut_pytorch's axis_align iterates in float32, ours in float64, hence the
/// looser R tolerance there; its k-means runs in the input's float64.
/// </summary>
[TestFixture]
public class KwayPeerGoldenTests
{
    private static string Folder() => RepositoryFolders.Find("ReferenceData/peer");

    private static double[,] Load(params string[] parts) => Npy.Read(Path.Combine([Folder(), .. parts]) + ".npy").ToMatrix<double>();

    [TestCase("axis_align_k4", KwayMethod.AxisAlign, 4, 4, 1e-6)]
    [TestCase("axis_align_k6", KwayMethod.AxisAlign, 6, 6, 1e-6)]
    [TestCase("kmeans_k4", KwayMethod.SphericalKMeans, 4, 6, 1e-12)]
    [TestCase("kmeans_k6", KwayMethod.SphericalKMeans, 6, 6, 1e-12)]
    public void MatchesNcutPytorch(string name, KwayMethod method, int k, int columns, double tolerance)
    {
        var u = Load("rbf_blobs", "eigenvectors");
        var goldenR = Load("kway", name + "_R");
        var goldenLabels = Load("kway", name + "_labels");
        var kway = new KwayNcut(new KwayOptions { ClusterCount = k, Method = method, EigenvectorCount = columns });
        var r = kway.Fit(u);
        Assert.That((r.GetLength(0), r.GetLength(1)), Is.EqualTo((goldenR.GetLength(0), goldenR.GetLength(1))), "shape of R");
        for (int a = 0; a < r.GetLength(0); a++)
            for (int j = 0; j < r.GetLength(1); j++)
                // |R − ref| ≤ tol·(1 + |ref|): entries are O(1); tol = 1e-6 against the float32 iterations (observed < 3e-7), 1e-12 for float64
                Assert.That(r[a, j], Is.EqualTo(goldenR[a, j]).Within(tolerance * (1 + Math.Abs(goldenR[a, j]))), $"R[{a},{j}]");
        var labels = kway.Predict(u);
        Assert.That(labels, Is.EqualTo(Enumerable.Range(0, labels.Length).Select(i => (int)goldenLabels[i, 0])), "labels, same column order");
    }
}
