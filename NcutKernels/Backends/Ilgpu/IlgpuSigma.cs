// IlgpuSigma: launches the σ rule's float64 kernels (SigmaKernels) on an ILGPU accelerator; kernels are loaded once.
using ILGPU;
using ILGPU.Runtime;
using NcutKernels.Backends;
using NcutKernels.Backends.Managed;
using NcutKernels.Core;
using NcutKernels.Kernels;

namespace NcutKernels.Backends.Ilgpu;

/// <summary>
/// The σ rule's pair terms and batched per-σ affinity row sums on an ILGPU accelerator (CUDA, or ILGPU's CPU accelerator in
/// tests), float64. It does not own the accelerator: <paramref name="backend"/> does, and <see cref="Pairs"/> runs inside one of
/// its calls; the pair terms' later row sums and their disposal enter it themselves.
/// </summary>
internal sealed class IlgpuSigma(Backend backend, IlgpuResources resources)
{
    /// <summary>
    /// Search steps evaluated ahead per round trip (<see cref="IAffinityRowSums.Lookahead"/>): at most 2⁴ − 1 σ per launch
    /// after the first.
    /// </summary>
    public const int Lookahead = 4;

    /// <summary>σ the room for a batch's scales and sums holds at first, next to the pair terms (a longer batch gets its own).</summary>
    public const int InitialBatch = 1 << Lookahead;

    private readonly Backend _backend = backend;
    private readonly Accelerator _acc = resources.Accelerator;
    private readonly IlgpuKernels _kernels = resources.Kernels;

    /// <summary>
    /// Uploads xs (m×d, float64: its first m·d elements, so a longer pooled array serves) and computes its pair terms on the
    /// device; the result sums rows per batch of σ there.
    /// </summary>
    public IAffinityRowSums Pairs(double[] xs, int m, int d, AffinityKind kind)
    {
        var sq = HostRowSums.SquaredNorms(xs, m, d);
        var norms = kind == AffinityKind.Rbf ? sq : HostRowSums.CosineNorms(sq);
        long pairs = (long)m * m, rows = (long)m * d;
        var buffer = _acc.Allocate1D<double>(pairs + rows + m + InitialBatch * (m + 1L));
        try
        {
            ArrayView<double> all = buffer.View;
            var (pair, x, nv) = (all.SubView(0, pairs), all.SubView(pairs, rows), all.SubView(pairs + rows, m));
            x.CopyFromCPU(xs.AsSpan(0, (int)rows));
            nv.CopyFromCPU(norms);
            int tiles = (m + SigmaKernels.Tile - 1) / SigmaKernels.Tile;
            _kernels.PairTerms(new KernelConfig(new Index2D(tiles, tiles), new Index2D(SigmaKernels.Tile, SigmaKernels.Tile)), x, nv, pair, m, d,
                IlgpuBackend.KernelCode(kind));
            return new DevicePairs(this, buffer, pair, all.SubView(pairs + rows + m, InitialBatch * (m + 1L)), m, kind);
        }
        catch
        {
            buffer.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The pair terms resident on the device; each <see cref="RowSums"/> is a scale upload, one launch and one download of the
    /// batch's sums, inside one call of the owner's backend. The batch room (scales, then sums) starts in the pair terms' buffer;
    /// a longer batch allocates a larger one.
    /// </summary>
    private sealed class DevicePairs(IlgpuSigma owner, MemoryBuffer1D<double, Stride1D.Dense> buffer, ArrayView<double> pair, ArrayView<double> room,
        int m, AffinityKind kind) : IAffinityRowSums
    {
        private MemoryBuffer1D<double, Stride1D.Dense>? _grown;
        private ArrayView<double> _room = room;

        public int Lookahead => IlgpuSigma.Lookahead;

        public void RowSums(ReadOnlySpan<double> sigmas, double[] result)
        {
            using var entry = owner._backend.Enter();
            var acc = owner._acc;
            int count = sigmas.Length, ws = acc.WarpSize, group = Math.Min(256, acc.MaxNumThreadsPerGroup / ws * ws), perGroup = group / ws;
            if (count * (m + 1L) > _room.Length)
            {
                // Allocate before freeing: a failed allocation leaves the current room (and buffer) valid.
                var grown = acc.Allocate1D<double>(count * (m + 1L));
                _grown?.Dispose();
                _grown = grown;
                _room = grown.View;
            }
            var scale = new double[count];
            for (int b = 0; b < count; b++)
                scale[b] = -1 / (2 * sigmas[b] * sigmas[b]);
            var (scales, sums) = (_room.SubView(0, count), _room.SubView(count, (long)count * m));
            scales.CopyFromCPU(scale);
            owner._kernels.AffinityRowSums(new KernelConfig(new Index2D((m + perGroup - 1) / perGroup, count), new Index2D(group, 1)), pair, scales, sums, m,
                IlgpuBackend.KernelCode(kind), AffinityMath.CosineFloor);
            sums.CopyToCPU(result.AsSpan(0, count * m));
        }

        public void Dispose()
        {
            owner._backend.Release(_grown);
            owner._backend.Release(buffer);
        }
    }
}
