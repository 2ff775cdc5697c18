// StagedRows: chosen rows of a device matrix copied to a pooled host buffer (gathered on the device first unless every row is chosen).
using System.Buffers;
using System.Numerics;

namespace NcutKernels.Runtime;

/// <summary>
/// The rows <c>rows</c> of a <see cref="DeviceMatrix{T}"/>, in that order, on the host in a buffer rented from
/// <see cref="ArrayPool{T}.Shared"/> (a fresh array of this size pays its first-touch page faults on every call); when the
/// rows are 0 … n − 1 the matrix is downloaded as it is, otherwise they are gathered on the device first. Dispose returns the
/// buffer: <see cref="Span"/> must not be used after that.
/// </summary>
internal readonly struct StagedRows<T> : IDisposable where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T[] _buffer;
    private readonly int _length;

    private StagedRows(T[] buffer, int length) => (_buffer, _length) = (buffer, length);

    /// <summary>The staged rows, row-major (rows.Length × x.Cols).</summary>
    public ReadOnlySpan<T> Span => _buffer.AsSpan(0, _length);

    /// <summary>Copies the rows of <paramref name="x"/> listed in <paramref name="rows"/> to the host; throws, naming x, when they do not fit one host array.</summary>
    public static StagedRows<T> Of(DeviceMatrix<T> x, int[] rows)
    {
        long length = (long)rows.Length * x.Cols;
        if (length > Array.MaxLength)
            throw new ArgumentException($"{rows.Length} rows of {x.Cols} columns hold {length} values, more than one host array can ({Array.MaxLength}).", nameof(x));
        var buffer = ArrayPool<T>.Shared.Rent((int)length);
        try
        {
            var span = buffer.AsSpan(0, (int)length);
            if (IsEveryRow(rows, x.Rows))
            {
                x.Download(span);
            }
            else
            {
                using var gathered = DeviceMatrix<T>.Allocate(x.Device, rows.Length, x.Cols);
                x.Device.Backend.GatherRows(x.All, rows, gathered.All);
                gathered.Download(span);
            }
            return new StagedRows<T>(buffer, (int)length);
        }
        catch
        {
            ArrayPool<T>.Shared.Return(buffer);
            throw;
        }
    }

    /// <summary>Whether rows is 0, 1, …, n − 1.</summary>
    private static bool IsEveryRow(int[] rows, int n)
    {
        if (rows.Length != n)
            return false;
        for (int i = 0; i < n; i++)
            if (rows[i] != i)
                return false;
        return true;
    }

    /// <summary>Returns the buffer to the pool.</summary>
    public void Dispose() => ArrayPool<T>.Shared.Return(_buffer);
}
