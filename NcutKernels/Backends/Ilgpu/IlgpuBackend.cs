// IlgpuBackend: launches the ILGPU kernels (CUDA, or ILGPU's CPU accelerator in tests); kernels are loaded once and cached.
using System.Numerics;
using ILGPU;
using ILGPU.Runtime;
using NcutKernels.Backends;
using NcutKernels.Core;
using NcutKernels.Kernels;
using NcutKernels.Runtime;

namespace NcutKernels.Backends.Ilgpu;

/// <summary>ILGPU storage: one dense device buffer of <paramref name="owner"/>'s accelerator; copies and freeing enter the owner (its lock, bound to the calling thread).</summary>
internal sealed class IlgpuStorage<T>(IlgpuBackend owner, Accelerator accelerator, long length) : DeviceStorage<T>(length) where T : unmanaged
{
    private MemoryBuffer1D<T, Stride1D.Dense>? _buffer = accelerator.Allocate1D<T>(length);

    public ArrayView<T> View => (_buffer ?? throw new ObjectDisposedException(nameof(IlgpuStorage<T>))).View;

    public override void Upload(ReadOnlySpan<T> source, long offset)
    {
        using var entry = owner.Enter();
        View.SubView(offset, source.Length).CopyFromCPU(source);
    }

    public override void Download(Span<T> destination, long offset)
    {
        using var entry = owner.Enter();
        View.SubView(offset, destination.Length).CopyToCPU(destination);
    }

    public override void Dispose()
    {
        owner.Release(_buffer);
        _buffer = null;
    }
}

/// <summary>
/// <see cref="Backend"/> on an ILGPU accelerator. The kernels are float32 (the production path);
/// float64 matrices can be stored and moved but computing on them needs the managed CPU backend.
/// The row-wise kernels over (columns, rows) launch in bands of at most <paramref name="gridRows"/> rows
/// (<see cref="RowBands"/>; tests lower it to run several bands at tiny sizes). The accelerator, its kernel cache and the
/// grow-only scratch (<see cref="IlgpuResources"/>, shared with <see cref="IlgpuNystrom"/>, <see cref="IlgpuSigma"/> and <see cref="IlgpuDistanceTile"/>) serve every call, so calls are
/// serialized (<see cref="Backend.Enter"/>) and each binds the accelerator (for CUDA, its context) to the calling thread.
/// </summary>
internal sealed partial class IlgpuBackend(Accelerator accelerator, int gridRows = RowBands.MaxGridRows) : Backend(serialized: true)
{
    private readonly Accelerator _acc = accelerator;
    private readonly int _gridRows = gridRows;

    private readonly IlgpuResources _resources = new(accelerator);
    private IlgpuKernels _kernels => _resources.Kernels;

    protected override DeviceStorage<T> AllocateCore<T>(long length)
    {
        var s = _resources.Guarded<T, IlgpuStorage<T>>(length, () => new IlgpuStorage<T>(this, _acc, length));
        s.View.MemSetToZero();
        return s;
    }

    /// <summary>The kernels' code for an affinity kind (<see cref="KernelAffinity"/>).</summary>
    internal static int KernelCode(AffinityKind kind) => kind == AffinityKind.Rbf ? KernelAffinity.Rbf : KernelAffinity.Cosine;

    private static ArrayView<float> F<T>(Block<T> b) where T : unmanaged, IFloatingPointIeee754<T> =>
        Float(b.Matrix).SubView(b.Offset, b.Length);

    private static ArrayView<float> Float<T>(DeviceMatrix<T> m) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) != typeof(float))
            throw new NotSupportedException($"The ILGPU kernels compute in float32; {typeof(T).Name} matrices need DeviceKind.Cpu.");
        return ((IlgpuStorage<float>)(object)m.Storage).View;
    }

    private static void CheckSquare<T>(DeviceMatrix<T> w, int n, string name) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (w.Rows != n || w.Cols != n)
            throw new ArgumentException($"{name} must be {n}×{n}, got {w.Rows}×{w.Cols}.", name);
    }

    private IlgpuSigma? _sigma;

    /// <summary>The σ rule's pair terms of xs (m×d, float64) on this accelerator (<see cref="IlgpuSigma"/>).</summary>
    public override IAffinityRowSums? SigmaRowSums(double[] xs, int m, int d, AffinityKind kind)
    {
        using var entry = Enter();
        return (_sigma ??= new IlgpuSigma(this, _resources)).Pairs(xs, m, d, kind);
    }

    /// <summary>A block's elements copied to a new host array.</summary>
    private static T[] Host<T>(Block<T> b) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var host = new T[b.Length];
        b.Matrix.Storage.Download(host, b.Offset);
        return host;
    }

    protected override void CopyCore<T>(Block<T> src, Block<T> dst)
    {
        CheckSameCols(src, dst, nameof(Copy));
        F(src).CopyTo(F(dst));
    }

    protected override void SynchronizeCore() => _acc.Synchronize();

    protected override void Bind() => _acc.Bind();

    protected override void DisposeCore()
    {
        _resources.Dispose();
        _acc.Dispose();
    }
}
