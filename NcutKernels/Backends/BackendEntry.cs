// BackendEntry: how a call enters a Backend (the device's lock where the backend keeps state between calls, the disposal check, the backend bound to the calling thread), how its buffers are freed, and its disposal.
using NcutKernels.Runtime;

namespace NcutKernels.Backends;

internal abstract partial class Backend : IDisposable
{
    private readonly Lock? _lock;
    private volatile bool _disposed;

    /// <summary>
    /// <paramref name="serialized"/>: whether every call holds the backend's one lock (a backend with state shared between
    /// calls — an accelerator and its queue, kernel caches, grow-only scratch) or calls run concurrently (a backend that keeps
    /// no state between calls).
    /// </summary>
    protected Backend(bool serialized) => _lock = serialized ? new Lock() : null;

    /// <summary>
    /// Enters the backend for one call; dispose the entry to leave. Takes the backend's lock when it serializes (reentrant:
    /// a primitive may stage through its own storage), throws <see cref="ObjectDisposedException"/> once the backend is
    /// disposed, and binds the backend to the calling thread (<see cref="Bind"/>).
    /// </summary>
    internal Entry Enter()
    {
        _lock?.Enter();
        try
        {
            if (_disposed)
                throw new ObjectDisposedException(nameof(ComputeDevice));
            Bind();
        }
        catch
        {
            _lock?.Exit();
            throw;
        }
        return new Entry(_lock);
    }

    /// <summary>
    /// Frees <paramref name="resource"/> (a buffer of this backend) under the backend's lock, bound to the calling thread;
    /// after the backend's disposal it does nothing: the backend's buffers were freed with it.
    /// </summary>
    internal void Release(IDisposable? resource)
    {
        if (resource is null)
            return;
        _lock?.Enter();
        try
        {
            if (_disposed)
                return;
            Bind();
            resource.Dispose();
        }
        finally
        {
            _lock?.Exit();
        }
    }

    /// <summary>Makes the backend current on the calling thread (for CUDA, its context); nothing by default.</summary>
    protected virtual void Bind()
    {
    }

    /// <summary>
    /// Frees the backend's resources, once: after the call in flight (on a serialized backend) has returned. Every later
    /// call throws <see cref="ObjectDisposedException"/>.
    /// </summary>
    public void Dispose()
    {
        _lock?.Enter();
        try
        {
            if (_disposed)
                return;
            _disposed = true;
            Bind();
            DisposeCore();
        }
        finally
        {
            _lock?.Exit();
        }
    }

    /// <summary>Frees the backend's resources (called once, inside <see cref="Dispose"/>).</summary>
    protected abstract void DisposeCore();

    /// <summary>One call inside the backend (<see cref="Enter"/>): disposing it releases the lock taken, if any.</summary>
    internal readonly ref struct Entry
    {
        private readonly Lock? _lock;

        internal Entry(Lock? taken) => _lock = taken;

        /// <summary>Leaves the backend.</summary>
        public void Dispose() => _lock?.Exit();
    }
}
