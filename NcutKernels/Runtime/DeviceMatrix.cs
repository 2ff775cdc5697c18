// DeviceMatrix: a dense row-major float32/float64 matrix resident on a ComputeDevice.
using System.Numerics;

namespace NcutKernels.Runtime;

/// <summary>
/// A dense row-major matrix of <c>float</c> or <c>double</c> that lives on a <see cref="ComputeDevice"/>
/// (GPU memory for CUDA, a managed array for the CPU backend). Dispose it explicitly. A matrix is not thread-safe; matrices
/// on one device may be used from several threads (<see cref="ComputeDevice"/>).
/// </summary>
/// <typeparam name="T"><c>float</c> or <c>double</c>.</typeparam>
public sealed class DeviceMatrix<T> : IDisposable where T : unmanaged, IFloatingPointIeee754<T>
{
    private DeviceStorage<T>? _storage;

    private DeviceMatrix(ComputeDevice device, int rows, int cols)
    {
        ArgumentNullException.ThrowIfNull(device);
        ComputeDevice.ThrowIfNotFloatingPoint<T>(nameof(DeviceMatrix<T>));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rows);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(cols);
        Device = device;
        Rows = rows;
        Cols = cols;
        _storage = device.Backend.Allocate<T>((long)rows * cols);
    }

    /// <summary>The device holding the data.</summary>
    public ComputeDevice Device { get; }

    /// <summary>Number of rows.</summary>
    public int Rows { get; }

    /// <summary>Number of columns.</summary>
    public int Cols { get; }

    /// <summary>Rows × Cols.</summary>
    public long Length => (long)Rows * Cols;

    /// <summary>True after <see cref="Dispose"/>.</summary>
    public bool IsDisposed => _storage is null;

    internal DeviceStorage<T> Storage => _storage ?? throw new ObjectDisposedException(nameof(DeviceMatrix<T>));

    /// <summary>Allocates a zero-filled matrix.</summary>
    public static DeviceMatrix<T> Allocate(ComputeDevice device, int rows, int cols)
    {
        ArgumentNullException.ThrowIfNull(device);
        device.ThrowIfDisposed();
        return new DeviceMatrix<T>(device, rows, cols);
    }

    /// <summary>Uploads a rectangular host array.</summary>
    public static DeviceMatrix<T> Upload(ComputeDevice device, T[,] data)
    {
        ArgumentNullException.ThrowIfNull(data);
        int rows = data.GetLength(0), cols = data.GetLength(1);
        if (rows == 0 || cols == 0)
            throw new ArgumentException($"Matrix must be non-empty, got {rows}×{cols}.", nameof(data));
        var span = System.Runtime.InteropServices.MemoryMarshal.CreateReadOnlySpan(ref data[0, 0], data.Length);
        return Upload(device, span, rows, cols);
    }

    /// <summary>Uploads <paramref name="rowMajor"/> (exactly rows × cols elements, row-major).</summary>
    public static DeviceMatrix<T> Upload(ComputeDevice device, ReadOnlySpan<T> rowMajor, int rows, int cols)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rows);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(cols);
        if (rowMajor.Length != (long)rows * cols)
            throw new ArgumentException($"Expected {rows}×{cols} = {(long)rows * cols} elements, got {rowMajor.Length}.", nameof(rowMajor));
        var m = Allocate(device, rows, cols);
        m.Storage.Upload(rowMajor, 0);
        return m;
    }

    /// <summary>Copies the whole matrix into <paramref name="destination"/> (row-major, Rows × Cols elements).</summary>
    public void Download(Span<T> destination)
    {
        if (destination.Length != Length)
            throw new ArgumentException($"Destination holds {destination.Length} elements, matrix has {Length}.", nameof(destination));
        Device.ThrowIfDisposed();
        Storage.Download(destination, 0);
    }

    /// <summary>Downloads the matrix into a new host array.</summary>
    public T[,] Download()
    {
        var result = new T[Rows, Cols];
        Download(System.Runtime.InteropServices.MemoryMarshal.CreateSpan(ref result[0, 0], result.Length));
        return result;
    }

    /// <summary>Frees the device memory. Further use throws <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose()
    {
        _storage?.Dispose();
        _storage = null;
    }

    /// <summary>The whole matrix as a row block.</summary>
    internal Block<T> All => new(this, 0, Rows);

    /// <summary>Rows [row0, row0 + count) as a row block.</summary>
    internal Block<T> RowRange(int row0, int count) => new(this, row0, count);
}

/// <summary>A contiguous range of rows of a <see cref="DeviceMatrix{T}"/>: each row is one vector of length Cols.</summary>
internal readonly record struct Block<T>(DeviceMatrix<T> Matrix, int Row0, int Rows) where T : unmanaged, IFloatingPointIeee754<T>
{
    public int Cols => Matrix.Cols;
    public long Offset => (long)Row0 * Matrix.Cols;
    public long Length => (long)Rows * Matrix.Cols;
}
