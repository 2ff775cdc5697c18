// IlgpuResources: what one accelerator's launchers share — its kernel cache, its grow-only scratch slots, and allocation that says how much was asked for.
using ILGPU;
using ILGPU.Runtime;

namespace NcutKernels.Backends.Ilgpu;

/// <summary>The named grow-only scratch buffers of one accelerator; each slot holds one element type and one user at a time.</summary>
internal enum ScratchSlot
{
    /// <summary>Partial products of the symmetric product's slices (float32).</summary>
    Partials,
    /// <summary>The coefficient block of Combine (float32).</summary>
    Coefficients,
    /// <summary>The fused backward's factors, degrees and centre (float32).</summary>
    Embedding,
    /// <summary>The fused backward's feature-side buffers: X̄, S·X slices, centred X (float32).</summary>
    Features,
    /// <summary>Inner products accumulated in float64.</summary>
    Dots,
    /// <summary>Propagation's anchor side: centre, centred anchors, norms, degrees (float32).</summary>
    Anchors,
    /// <summary>A propagation chunk's distances and row norms, or the sampling walk's distances and transposed points (float32).</summary>
    Chunk,
    /// <summary>Picks, the walk's barrier counter and error flag, or a stand-in for absent index output (int32).</summary>
    Indices,
    /// <summary>The grid walk's per-group candidate slots (uint64).</summary>
    WalkSlots,
}

/// <summary>
/// One accelerator's shared launch state, owned by its <see cref="IlgpuBackend"/> (which also owns the accelerator):
/// <see cref="Kernels"/> loads each kernel once, <see cref="Scratch{T}"/> hands out grow-only buffers (a cudaMalloc per call
/// would cost more than the small kernels themselves), <see cref="Allocate{T}"/> turns an out-of-memory failure into an
/// error that names the size. Not thread-safe: the backend serializes every call that reaches it.
/// </summary>
internal sealed class IlgpuResources(Accelerator accelerator) : IDisposable
{
    private readonly Dictionary<ScratchSlot, MemoryBuffer> _scratch = [];

    /// <summary>The accelerator (not owned).</summary>
    public Accelerator Accelerator { get; } = accelerator;

    /// <summary>The accelerator's kernels, each loaded on first use.</summary>
    public IlgpuKernels Kernels { get; } = new(accelerator);

    /// <summary>The first <paramref name="length"/> elements of <paramref name="slot"/>'s buffer, reallocated larger when it is too short (contents undefined).</summary>
    public ArrayView<T> Scratch<T>(ScratchSlot slot, long length) where T : unmanaged
    {
        if (_scratch.TryGetValue(slot, out var held) && held is MemoryBuffer1D<T, Stride1D.Dense> buffer && buffer.Length >= length)
            return buffer.View.SubView(0, length);
        if (held is not null)
        {
            _scratch.Remove(slot); // a failed allocation below must not leave the freed buffer in place
            held.Dispose();
        }
        buffer = Allocate<T>(length);
        _scratch[slot] = buffer;
        return buffer.View.SubView(0, length);
    }

    /// <summary>A device buffer the caller disposes (contents undefined); running out of memory says how much was asked for.</summary>
    public MemoryBuffer1D<T, Stride1D.Dense> Allocate<T>(long length) where T : unmanaged =>
        Guarded<T, MemoryBuffer1D<T, Stride1D.Dense>>(length, () => Accelerator.Allocate1D<T>(length));

    /// <summary>Runs an allocation of <paramref name="length"/> elements of T; a failure says how much was asked for.</summary>
    public TR Guarded<T, TR>(long length, Func<TR> allocate) where T : unmanaged
    {
        try
        {
            return allocate();
        }
        catch (Exception e) when (e is OutOfMemoryException or AcceleratorException)
        {
            long bytes = length * System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
            throw new InsufficientMemoryException(
                $"{Accelerator.Name}: could not allocate {bytes / 1048576.0:F1} MiB ({length} × {typeof(T).Name}); device memory {Accelerator.MemorySize / 1048576.0:F0} MiB. ({e.Message})", e);
        }
    }

    /// <summary>Frees the scratch buffers (not the accelerator).</summary>
    public void Dispose()
    {
        foreach (var buffer in _scratch.Values)
            buffer.Dispose();
        _scratch.Clear();
    }
}
