// DeviceStorage: the memory behind a DeviceMatrix, owned by one backend (managed array or ILGPU buffer).
namespace NcutKernels.Runtime;

/// <summary>A flat buffer of <typeparamref name="T"/> living on one backend; a serialized backend's storage enters it for every copy and for freeing.</summary>
internal abstract class DeviceStorage<T> : IDisposable where T : unmanaged
{
    protected DeviceStorage(long length) => Length = length;

    /// <summary>Number of elements.</summary>
    public long Length { get; }

    /// <summary>Copies <paramref name="source"/> into the buffer starting at element <paramref name="offset"/>.</summary>
    public abstract void Upload(ReadOnlySpan<T> source, long offset);

    /// <summary>Copies elements starting at <paramref name="offset"/> into <paramref name="destination"/>.</summary>
    public abstract void Download(Span<T> destination, long offset);

    /// <summary>Frees the buffer.</summary>
    public abstract void Dispose();
}

/// <summary>Storage of the managed CPU backend: a plain array.</summary>
internal sealed class ManagedStorage<T>(long length) : DeviceStorage<T>(length) where T : unmanaged
{
    public T[] Array { get; private set; } = new T[length];

    public override void Upload(ReadOnlySpan<T> source, long offset) => source.CopyTo(Array.AsSpan((int)offset));

    public override void Download(Span<T> destination, long offset) =>
        Array.AsSpan((int)offset, destination.Length).CopyTo(destination);

    public override void Dispose() => Array = [];
}
