// SpectralClusteringProperties: FsCheck property — for any small shape, seed, k-way method, path and duplicated or identical rows, SpectralClustering gives n labels in 0..C−1, each the argmax of its scores.
using FsCheck;
using FsCheck.Fluent;
using NcutKernels.Spectral;
using NUnit.Framework;
using PropertyAttribute = FsCheck.NUnit.PropertyAttribute;

namespace NcutKernels.Tests.Spectral;

/// <summary>
/// Cases: C 2..5, k = C..C+2 eigenvectors, n k+1..60 points, d 1..6 features (float32 or float64) in seeded blobs, half the rows
/// duplicates of the others, or every row the same; axis alignment or spherical k-means; the exact path, or Nyström where the
/// n/4 landmarks leave room (m &gt; k + 1). Small n keeps every fit on the dense host solve: the property runs in seconds.
/// </summary>
[TestFixture]
public class SpectralClusteringProperties : CpuFixture
{
    /// <summary>How the rows are drawn.</summary>
    public enum Rows
    {
        Blobs,
        HalfDuplicates,
        AllEqual,
    }

    /// <summary>One case: shape, clusters, eigenvectors, seed, rows, k-way method, path and precision.</summary>
    public sealed record Case(int N, int D, int C, int K, int Seed, Rows Rows, KwayMethod Method, bool Nystrom, bool Float32)
    {
        public double[,] Features()
        {
            var x = TestData.Blobs(N, D, C, separation: 3, seed: Seed);
            var rng = new Random(Seed);
            for (int i = 0; i < N; i++)
            {
                int source = Rows switch { Rows.AllEqual => 0, Rows.HalfDuplicates when i >= N / 2 => rng.Next(Math.Max(1, N / 2)), _ => i };
                for (int j = 0; j < D; j++)
                    x[i, j] = x[source, j];
            }
            return x;
        }

        public SpectralClusteringOptions Options() => new()
        {
            Ncut = new NcutOptions { EigenvectorCount = K, Seed = Seed },
            Nystrom = new NystromOptions { Path = Nystrom ? EmbeddingPath.Nystrom : EmbeddingPath.Exact },
            Kway = new KwayOptions { ClusterCount = C, Method = Method, Seed = Seed },
        };
    }

    private static Arbitrary<Case> Cases() =>
        (from c in Gen.Choose(2, 5)
         from method in Gen.Elements(KwayMethod.AxisAlign, KwayMethod.SphericalKMeans)
         from k in method == KwayMethod.AxisAlign ? Gen.Elements(c) : Gen.Choose(c, c + 2)
         from n in Gen.Choose(k + 1, 60)
         from d in Gen.Choose(1, 6)
         from seed in Gen.Choose(0, 1 << 20)
         from rows in Gen.Elements(Enum.GetValues<Rows>())
         from nystrom in n / 4 > k + 1 ? Gen.Elements(false, true) : Gen.Elements(false)
         from float32 in Gen.Elements(false, true)
         select new Case(n, d, c, k, seed, rows, method, nystrom, float32))
        .ToArbitrary();

    private void Check<T>(Case c) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var x = TestData.Convert<T>(c.Features());
        using var clustering = new SpectralClustering(Cpu, c.C, c.Options());
        var scores = clustering.FitTransform(x);
        var labels = clustering.Labels;
        if (labels.Length != c.N || labels.Any(l => l < 0 || l >= c.C))
            throw new InvalidOperationException($"labels {string.Join(",", labels)} are not {c.N} values in 0..{c.C - 1} — {c}");
        if (scores.GetLength(0) != c.N || scores.GetLength(1) != c.C || !KwayNcut.Labels(scores).SequenceEqual(labels))
            throw new InvalidOperationException($"scores {scores.GetLength(0)}×{scores.GetLength(1)} are not n×C or their argmax is not the labels — {c}");
    }

    // 60 cases, each a fit of at most 60 points (dense host solve).
    [Property(MaxTest = 60, Replay = "56789,12347")]
    public Property Labels_AreNValuesInZeroToCMinusOne() =>
        Prop.ForAll(Cases(), c =>
        {
            if (c.Float32)
                Check<float>(c);
            else
                Check<double>(c);
        });
}
