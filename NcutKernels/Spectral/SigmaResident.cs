// SigmaResident: the σ rule for features resident on a device — only the candidate rows are gathered there and copied to the host.
using System.Numerics;
using NcutKernels.Core;
using NcutKernels.Runtime;

namespace NcutKernels.Spectral;

internal static partial class SigmaSelection
{
    /// <summary>
    /// σ for x resident on its device, equal bit for bit to
    /// <see cref="ByDegreeQuantile{T}(ReadOnlySpan{T}, int, int, AffinityKind, double, int, ComputeDevice?)"/> on the host copy of
    /// x with x's device: the rule reads only the candidate rows (<see cref="Candidates"/>, at most <see cref="CandidateCount"/>),
    /// so only those are gathered on the device (all of x is copied when every row is a candidate) into a pooled host buffer
    /// (<see cref="StagedRows{T}"/>), and the rule runs on them as candidates 0 … c − 1 with the same seeded stream.
    /// <paramref name="log"/>, when given, receives one line with the three parts' milliseconds.
    /// </summary>
    internal static double ByDegreeQuantile<T>(DeviceMatrix<T> x, AffinityKind kind, double quantile, int seed, Action<string>? log = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(x);
        ObjectDisposedException.ThrowIf(x.IsDisposed, x);
        if (!(quantile >= 0 && quantile <= 1))
            throw new ArgumentOutOfRangeException(nameof(quantile), quantile, "The quantile must lie in [0, 1].");
        var device = x.Device;
        device.ThrowIfDisposed();
        int n = x.Rows, d = x.Cols;
        var (candidates, random) = Candidates(n, seed);
        int c = candidates.Length;
        var sw = System.Diagnostics.Stopwatch.StartNew();
        using var staged = StagedRows<T>.Of(x, candidates);
        var rows = staged.Span;
        double stagedMs = sw.Elapsed.TotalMilliseconds;
        var subset = SubsetOf<T>(rows, d, Enumerable.Range(0, c).ToArray(), random);
        double subsetMs = sw.Elapsed.TotalMilliseconds - stagedMs;
        double sigma = OnSubset<T>(rows, d, subset, kind, quantile, device);
        log?.Invoke($"sigma: {c} candidate rows staged in {stagedMs:F1} ms, {subset.Length}-row subset (projection and walk) in {subsetMs:F1} ms, " +
            $"pair terms and search in {sw.Elapsed.TotalMilliseconds - stagedMs - subsetMs:F1} ms");
        return sigma;
    }
}
