// NearestAnchorPropagation: the nearest-anchor propagations (renormalized, ncut_pytorch's) as a propagation method — preparation (anchors by farthest points in eigenvector space, σp, neighbour count, anchor degrees), device pass and taped op.
using System.Diagnostics;
using System.Numerics;
using NcutKernels.Autodiff;
using NcutKernels.Backends;
using NcutKernels.Core;
using NcutKernels.Ops;
using NcutKernels.Runtime;

namespace NcutKernels.Spectral;

/// <summary>
/// <see cref="NystromPropagation.Renormalized"/> and <see cref="NystromPropagation.NcutPytorch"/>: each point's row averages the
/// eigenvector rows of its nearest anchors in feature space, weighted by exp(−‖x − a_j‖²/(2σp²)) and divided by the weights' sum
/// (<see cref="RenormalizedPropagation"/>) or by the anchors' degrees (<see cref="NcutPytorchPropagation"/>, ncut_pytorch's weights).
/// The two share everything but that denominator.
/// </summary>
internal abstract class NearestAnchorPropagation(ComputeDevice device, NcutOptions options, NystromOptions nystrom)
    : PropagationMethod(device, options, nystrom)
{
    /// <summary>Whether each row divides by its anchors' degrees (ncut_pytorch's weights) rather than by the weights' sum.</summary>
    protected abstract bool DegreeWeights { get; }

    /// <summary>The method's name in the log.</summary>
    protected abstract NystromPropagation Weights { get; }

    /// <summary>
    /// The nearest-anchor propagations' preparation: anchors among the landmarks by farthest-point sampling in eigenvector space,
    /// their features and eigenvector rows on the device, σp by the degree rule on the anchors and, for ncut_pytorch's weights,
    /// the anchors' degrees.
    /// </summary>
    public override PropagationPlan Prepare<T>(NystromFit fit, NystromResident<T> resident, LandmarkCapture<T>? capture)
    {
        capture?.Dispose();
        int m = fit.Indices.Length, d = fit.Cols, k = fit.Eigenvalues.Length;
        var log = Options.Log;
        var be = Device.Backend;
        var sw = Stopwatch.StartNew();
        var hostVectors = fit.Vectors ?? resident.DownloadVectors();
        var rows = AnchorRows<T>(hostVectors, m, k);
        double walkMs = sw.Lap();
        int a = rows.Length;
        var anchorMatrix = DeviceMatrix<T>.Allocate(Device, a, d);
        DeviceMatrix<T>? anchorValues = null;
        try
        {
            be.GatherRows(resident.Features.All, rows, anchorMatrix.All);
            var anchorRows = new T[anchorMatrix.Length];
            anchorMatrix.Download(anchorRows);
            anchorValues = DeviceMatrix<T>.Upload(Device, HostArrays.Narrow<T>(HostArrays.Rows<double>(hostVectors, k, rows)), a, k);
            double copyMs = sw.Lap();
            double sigmaP = PropagationSigmaOf(HostArrays.As<double>(anchorRows), a, d);
            double sigmaMs = sw.Lap();
            int neighbours = NeighbourCount(a);
            double[]? anchorDegrees = null;
            if (DegreeWeights)
            {
                anchorDegrees = NystromOps.LandmarkDegrees(Device, anchorMatrix, sigmaP, AffinityKind.Rbf);
                for (int j = 0; j < a; j++)
                    anchorDegrees[j] /= a;
            }
            log?.WriteLine($"nystrom: {a} anchors (farthest points in eigenvector space), σp={fit.Scale.ToUser(sigmaP, AffinityKind.Rbf):G6}, {neighbours} neighbours, {Weights} weights " +
                $"(walk {walkMs:F1} ms, gather {copyMs:F1} ms, σp {sigmaMs:F1} ms, degrees {sw.Lap():F1} ms)");
            resident.SetPropagation(anchorMatrix, anchorValues);
            return new PropagationPlan(rows, anchorDegrees, sigmaP, neighbours, false, double.NaN);
        }
        catch
        {
            anchorMatrix.Dispose();
            anchorValues?.Dispose();
            throw;
        }
    }

    /// <summary>The anchors' positions among the m landmarks, ascending: farthest points in eigenvector space (<paramref name="vectors"/> m×k; constant: no gradient).</summary>
    private int[] AnchorRows<T>(double[] vectors, int m, int k) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rows = FarthestPointSampling.Sample<T>(Device, HostArrays.Narrow<T>(vectors), m, k, Math.Min(Nystrom.AnchorCount, m), Options.Seed);
        Array.Sort(rows);
        return rows;
    }

    /// <summary>σp: the degree rule on the anchors' features (a×d, float64) × <see cref="NystromOptions.ExtrapolationFactor"/>.</summary>
    private double PropagationSigmaOf(double[] anchors, int a, int d) =>
        SigmaSelection.ByDegreeQuantile<double>(anchors, a, d, AffinityKind.Rbf, NcutOptions.DefaultQuantile, Options.Seed, Device) * Nystrom.ExtrapolationFactor;

    /// <summary>Anchors per point for a anchors: max(4, ⌊min(Neighbours, a·NeighboursMaxRatio)⌋), at most a.</summary>
    private int NeighbourCount(int a) => Math.Min(a, Math.Max(4, (int)Math.Min(Nystrom.Neighbours, a * Nystrom.NeighboursMaxRatio)));

    /// <summary>The pass: <see cref="NearestRun{T}"/>.</summary>
    public override PropagationRun<T> Start<T>(NystromResident<T> resident, PropagationPlan plan, int chunkRows) =>
        new NearestRun<T>(Device, Nystrom.DistancePrecision, resident, plan);

    /// <summary>The nearest-anchor propagations' pass: each row's nearest anchors and their weighted eigenvector rows, in one backend call.</summary>
    private sealed class NearestRun<T>(ComputeDevice device, DistancePrecision precision, NystromResident<T> resident, PropagationPlan plan)
        : PropagationRun<T>(device, precision, resident, plan)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public override void Propagate(Block<T> x, Block<T> output) =>
            Backend.PropagateNearest(x, Anchors.All, Values.All, Plan.Degrees, Plan.Sigma, Plan.Neighbours, output, Precision);
    }

    /// <summary>
    /// The nearest-anchor propagations on the tape: anchors (farthest points in eigenvector space), σp and the neighbour sets chosen
    /// without gradient; the anchors' features and eigenvector rows gathered from the landmarks' (<see cref="NystromNearestOps"/>).
    /// </summary>
    public override Variable<T> Record<T>(Tape<T> tape, Variable<T> x, Variable<T> xl, Variable<T> ul, Variable<T> lam, double sigma)
    {
        int m = xl.Rows, d = xl.Cols, k = ul.Cols;
        var rows = AnchorRows<T>(ul.Host, m, k);
        int a = rows.Length;
        var xa = tape.GatherRows(xl, rows);
        var ua = tape.GatherRows(ul, rows);
        double sigmaP = PropagationSigmaOf(xa.Host, a, d);
        int neighbours = NeighbourCount(a);
        Options.Log?.WriteLine($"nystrom: {a} anchors (farthest points in eigenvector space), σp={sigmaP:G6}, {neighbours} neighbours, {Weights} weights (recorded)");
        return NystromNearestOps.Nearest(tape, x, xa, ua, sigmaP, neighbours, DegreeWeights, Nystrom.ChunkRows,
            TapePrecision);
    }
}

/// <summary><see cref="NystromPropagation.Renormalized"/>: each row's weights divided by their sum over its nearest anchors.</summary>
internal sealed class RenormalizedPropagation(ComputeDevice device, NcutOptions options, NystromOptions nystrom)
    : NearestAnchorPropagation(device, options, nystrom)
{
    protected override bool DegreeWeights => false;

    protected override NystromPropagation Weights => NystromPropagation.Renormalized;
}

/// <summary><see cref="NystromPropagation.NcutPytorch"/>: each row's weights divided by its nearest anchors' degrees, as ncut_pytorch does.</summary>
internal sealed class NcutPytorchPropagation(ComputeDevice device, NcutOptions options, NystromOptions nystrom)
    : NearestAnchorPropagation(device, options, nystrom)
{
    protected override bool DegreeWeights => true;

    protected override NystromPropagation Weights => NystromPropagation.NcutPytorch;
}
