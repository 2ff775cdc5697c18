// NpyArray: an array read from a .npy file (shape, element type, row-major data).
namespace NcutKernels.IO;

/// <summary>A float32, float64 or integer array read from .npy, stored row-major (C order): exactly one of <see cref="Singles"/>, <see cref="Doubles"/> and <see cref="Int64s"/> is set.</summary>
public sealed class NpyArray
{
    internal NpyArray(int[] shape, float[]? singles, double[]? doubles, long[]? int64s)
    {
        Shape = shape;
        Singles = singles;
        Doubles = doubles;
        Int64s = int64s;
    }

    /// <summary>The shape (1 or 2 dimensions, up to <see cref="Npy.MaxRank"/> when the reader was asked for more).</summary>
    public int[] Shape { get; }

    /// <summary>True when the file held float64 data.</summary>
    public bool IsDouble => Doubles is not null;

    /// <summary>True when the file held integer data (int32 or int64, read into <see cref="Int64s"/>).</summary>
    public bool IsInteger => Int64s is not null;

    /// <summary>The data when the file held float32, else null.</summary>
    public float[]? Singles { get; }

    /// <summary>The data when the file held float64, else null.</summary>
    public double[]? Doubles { get; }

    /// <summary>The data, widened to int64, when the file held int32 ('&lt;i4') or int64 ('&lt;i8'), else null.</summary>
    public long[]? Int64s { get; }

    /// <summary>
    /// The array as an n×d matrix (a 1-D array becomes n×1), converted to <typeparamref name="T"/> (integers rounded to the
    /// nearest <typeparamref name="T"/>: exact up to 2²⁴ in float32 and 2⁵³ in float64).
    /// </summary>
    /// <exception cref="InvalidOperationException">The array has more than 2 dimensions.</exception>
    public T[,] ToMatrix<T>() where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        if (Shape.Length > 2)
            throw new InvalidOperationException($"a {Shape.Length}-D array is not a matrix; read its data from {nameof(Singles)}, {nameof(Doubles)} or {nameof(Int64s)} with {nameof(Shape)}.");
        int rows = Shape[0], cols = Shape.Length == 2 ? Shape[1] : 1;
        var m = new T[rows, cols];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++)
            {
                long o = (long)i * cols + j;
                m[i, j] = Singles is not null ? T.CreateChecked(Singles[o])
                    : Doubles is not null ? T.CreateChecked(Doubles[o])
                    : T.CreateChecked(Int64s![o]);
            }
        return m;
    }
}
