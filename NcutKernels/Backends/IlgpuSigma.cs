// IlgpuSigma: launches the σ rule's float64 kernels (SigmaKernels) on an ILGPU accelerator; kernels are loaded once.
using ILGPU;
using ILGPU.Runtime;
using NcutKernels.Kernels;
using NcutKernels.Spectral;

namespace NcutKernels.Backends;

/// <summary>
/// The σ rule's pair terms and per-σ affinity row sums on an ILGPU accelerator (CUDA, or ILGPU's CPU accelerator in
/// tests), float64. It does not own the accelerator.
/// </summary>
internal sealed class IlgpuSigma(Accelerator accelerator)
{
    private readonly Accelerator _acc = accelerator;
    private Action<KernelConfig, ArrayView<double>, ArrayView<double>, ArrayView<double>, int, int, int>? _pairs;
    private Action<KernelConfig, ArrayView<double>, ArrayView<double>, int, int, double, double>? _rowSums;

    /// <summary>Uploads xs (m×d, float64) and computes its pair terms on the device; the result sums rows per σ there.</summary>
    public IAffinityRowSums Pairs(double[] xs, int m, int d, AffinityKind kind)
    {
        var sq = HostRowSums.SquaredNorms(xs, m, d);
        var norms = kind == AffinityKind.Rbf ? sq : HostRowSums.CosineNorms(sq);
        _pairs ??= _acc.LoadStreamKernel<ArrayView<double>, ArrayView<double>, ArrayView<double>, int, int, int>(SigmaKernels.PairTerms);
        _rowSums ??= _acc.LoadStreamKernel<ArrayView<double>, ArrayView<double>, int, int, double, double>(SigmaKernels.AffinityRowSums);
        var buffer = _acc.Allocate1D<double>((long)m * m + (long)m * d + 2L * m);
        try
        {
            var all = buffer.View;
            var (pair, x, nv) = (all.SubView(0, (long)m * m), all.SubView((long)m * m, (long)m * d), all.SubView((long)m * m + (long)m * d, m));
            x.CopyFromCPU(xs);
            nv.CopyFromCPU(norms);
            int tiles = (m + SigmaKernels.Tile - 1) / SigmaKernels.Tile;
            _pairs(new KernelConfig(new Index2D(tiles, tiles), new Index2D(SigmaKernels.Tile, SigmaKernels.Tile)), x, nv, pair, m, d,
                kind == AffinityKind.Rbf ? SigmaKernels.KindRbf : SigmaKernels.KindCosine);
            return new DevicePairs(this, buffer, pair, all.SubView((long)m * m + (long)m * d + m, m), m, kind);
        }
        catch
        {
            buffer.Dispose();
            throw;
        }
    }

    /// <summary>The pair terms resident on the device; each <see cref="RowSums"/> is one launch and an m-value download.</summary>
    private sealed class DevicePairs(IlgpuSigma owner, MemoryBuffer1D<double, Stride1D.Dense> buffer, ArrayView<double> pair, ArrayView<double> sums,
        int m, AffinityKind kind) : IAffinityRowSums
    {
        public void RowSums(double sigma, double[] result)
        {
            var acc = owner._acc;
            int ws = acc.WarpSize, group = Math.Min(256, acc.MaxNumThreadsPerGroup / ws * ws), perGroup = group / ws;
            owner._rowSums!(new KernelConfig((m + perGroup - 1) / perGroup, group), pair, sums, m,
                kind == AffinityKind.Rbf ? SigmaKernels.KindRbf : SigmaKernels.KindCosine, -1 / (2 * sigma * sigma), AffinityMath.CosineFloor);
            sums.CopyToCPU(result);
        }

        public void Dispose() => buffer.Dispose();
    }
}
