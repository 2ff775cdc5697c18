// ManagedBackend: the CPU twins of every kernel (Parallel.For over fixed partitions + SIMD); = outputs, deterministic.
using System.Numerics;
using System.Numerics.Tensors;
using NcutKernels.Runtime;
using NcutKernels.Spectral;

namespace NcutKernels.Backends;

/// <summary>
/// Managed CPU implementation of <see cref="Backend"/> for float32 and float64. Work is split
/// into fixed partitions and every reduction runs in a fixed order, so results are bit-identical
/// from run to run on the same machine.
/// </summary>
internal sealed class ManagedBackend : Backend
{
    private const int Tile = 64;
    private const int Chunk = 4096;

    public override DeviceStorage<T> Allocate<T>(long length)
    {
        if (length > Array.MaxLength)
            throw new InsufficientMemoryException($"The managed CPU backend holds at most {Array.MaxLength} elements per buffer; {length} were asked for.");
        return new ManagedStorage<T>(length);
    }

    private static Span<T> Data<T>(Block<T> b) where T : unmanaged, IFloatingPointIeee754<T> =>
        ((ManagedStorage<T>)b.Matrix.Storage).Array.AsSpan((int)b.Offset, (int)b.Length);

    private static T[] Data<T>(DeviceMatrix<T> m) where T : unmanaged, IFloatingPointIeee754<T> =>
        ((ManagedStorage<T>)m.Storage).Array;

    public override void Affinity<T>(Block<T> x, DeviceMatrix<T> w, AffinityKind kind, double scale)
    {
        int n = x.Rows, d = x.Cols;
        T[] xs = Data(x).ToArray();
        var sq = new T[n];
        for (int i = 0; i < n; i++)
            sq[i] = TensorPrimitives.Dot<T>(xs.AsSpan(i * d, d), xs.AsSpan(i * d, d));
        if (kind == AffinityKind.Cosine)
        {
            for (int i = 0; i < n; i++)
            {
                var row = xs.AsSpan(i * d, d);
                TensorPrimitives.Divide(row, T.Max(T.Sqrt(sq[i]), T.CreateChecked(AffinityMath.CosineNormFloor)), row);
            }
        }
        T[] ws = Data(w);
        int nb = (n + Tile - 1) / Tile;
        var pairs = new List<(int, int)>(nb * (nb + 1) / 2);
        for (int bi = 0; bi < nb; bi++)
            for (int bj = bi; bj < nb; bj++)
                pairs.Add((bi, bj));
        T s = T.CreateChecked(scale);
        Parallel.For(0, pairs.Count, p =>
        {
            var (bi, bj) = pairs[p];
            int i0 = bi * Tile, i1 = Math.Min(n, i0 + Tile), j0 = bj * Tile, j1 = Math.Min(n, j0 + Tile);
            GramTile(xs, d, ws, n, i0, i1, j0, j1);
            for (int i = i0; i < i1; i++)
            {
                var seg = ws.AsSpan(i * n + j0, j1 - j0);
                for (int j = j0; j < j1; j++)
                {
                    T g = seg[j - j0];
                    seg[j - j0] = kind == AffinityKind.Rbf
                        ? -(i == j ? T.Zero : T.Max(T.Zero, sq[i] + sq[j] - (g + g))) * s
                        : -(T.One - g) * (T.One - g) * s;
                }
                TensorPrimitives.Exp<T>(seg, seg);
                if (kind == AffinityKind.Cosine)
                    TensorPrimitives.Add(seg, T.CreateChecked(AffinityMath.CosineFloor), seg);
                if (bi != bj)
                    for (int j = j0; j < j1; j++)
                        ws[j * n + i] = seg[j - j0];
            }
        });
    }

    /// <summary>g[i, j] = x_i · x_j for the tile, written into w; 2×2 register blocks of SIMD dot products.</summary>
    private static void GramTile<T>(T[] xs, int d, T[] w, int n, int i0, int i1, int j0, int j1) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = i0; i < i1; i += 2)
        {
            int ia = i, ib = Math.Min(i + 1, i1 - 1);
            for (int j = j0; j < j1; j += 2)
            {
                int ja = j, jb = Math.Min(j + 1, j1 - 1);
                Dot2x2(xs, d, ia, ib, ja, jb, out T aa, out T ab, out T ba, out T bb);
                w[ia * n + ja] = aa;
                w[ia * n + jb] = ab;
                w[ib * n + ja] = ba;
                w[ib * n + jb] = bb;
            }
        }
    }

    private static void Dot2x2<T>(T[] xs, int d, int ia, int ib, int ja, int jb, out T aa, out T ab, out T ba, out T bb)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var xa = xs.AsSpan(ia * d, d);
        var xb = xs.AsSpan(ib * d, d);
        var ya = xs.AsSpan(ja * d, d);
        var yb = xs.AsSpan(jb * d, d);
        Vector<T> saa = Vector<T>.Zero, sab = Vector<T>.Zero, sba = Vector<T>.Zero, sbb = Vector<T>.Zero;
        int v = Vector<T>.Count, k = 0;
        for (; k <= d - v; k += v)
        {
            var a0 = new Vector<T>(xa[k..]);
            var a1 = new Vector<T>(xb[k..]);
            var b0 = new Vector<T>(ya[k..]);
            var b1 = new Vector<T>(yb[k..]);
            saa += a0 * b0;
            sab += a0 * b1;
            sba += a1 * b0;
            sbb += a1 * b1;
        }
        aa = Vector.Sum(saa);
        ab = Vector.Sum(sab);
        ba = Vector.Sum(sba);
        bb = Vector.Sum(sbb);
        for (; k < d; k++)
        {
            aa += xa[k] * ya[k];
            ab += xa[k] * yb[k];
            ba += xb[k] * ya[k];
            bb += xb[k] * yb[k];
        }
    }

    public override void RowSums<T>(DeviceMatrix<T> w, Block<T> sums)
    {
        int n = w.Cols;
        T[] ws = Data(w);
        T[] outp = ((ManagedStorage<T>)sums.Matrix.Storage).Array;
        int o = (int)sums.Offset;
        Parallel.For(0, w.Rows, i => outp[o + i] = TensorPrimitives.Sum<T>(ws.AsSpan(i * n, n)));
    }

    public override void Normalize<T>(DeviceMatrix<T> w, Block<T> degrees, double shift)
    {
        int n = w.Cols;
        T[] ws = Data(w);
        var s = Data(degrees).ToArray();
        TensorPrimitives.Max(s, T.CreateChecked(AffinityMath.DegreeFloor), s);
        TensorPrimitives.ReciprocalSqrt<T>(s, s);
        T sh = T.CreateChecked(shift);
        Parallel.For(0, n, i =>
        {
            var row = ws.AsSpan(i * n, n);
            TensorPrimitives.Multiply<T>(row, s, row);
            TensorPrimitives.Multiply(row, s[i], row);
            row[i] += sh;
        });
    }

    public override void SymmetricProduct<T>(DeviceMatrix<T> m, Block<T> v, Block<T> y)
    {
        int n = m.Cols, b = v.Rows;
        T[] ms = Data(m);
        T[] vs = ((ManagedStorage<T>)v.Matrix.Storage).Array, ys = ((ManagedStorage<T>)y.Matrix.Storage).Array;
        int vo = (int)v.Offset, yo = (int)y.Offset;
        const int rows = 16;
        Parallel.For(0, (n + rows - 1) / rows, chunk =>
        {
            for (int i = chunk * rows; i < Math.Min(n, chunk * rows + rows); i++)
            {
                var mi = new ReadOnlySpan<T>(ms, i * n, n);
                for (int c = 0; c < b; c++)
                    ys[yo + c * n + i] = TensorPrimitives.Dot(mi, new ReadOnlySpan<T>(vs, vo + c * n, n));
            }
        });
    }

    public override double[,] InnerProducts<T>(Block<T> a, Block<T> b)
    {
        CheckSameCols(a, b, nameof(InnerProducts));
        int n = a.Cols, p = a.Rows, q = b.Rows;
        T[] As = ((ManagedStorage<T>)a.Matrix.Storage).Array, Bs = ((ManagedStorage<T>)b.Matrix.Storage).Array;
        int ao = (int)a.Offset, bo = (int)b.Offset;
        var g = new double[p, q];
        Parallel.For(0, p * q, e =>
        {
            int r = e / q, c = e % q;
            g[r, c] = WideDot(new ReadOnlySpan<T>(As, ao + r * n, n), new ReadOnlySpan<T>(Bs, bo + c * n, n));
        });
        return g;
    }

    /// <summary>Dot product accumulated in float64 (float inputs are widened before multiplying).</summary>
    internal static double WideDot<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(double))
            return double.CreateTruncating(TensorPrimitives.Dot(a, b));
        var af = System.Runtime.InteropServices.MemoryMarshal.Cast<T, float>(a);
        var bf = System.Runtime.InteropServices.MemoryMarshal.Cast<T, float>(b);
        Vector<double> acc = Vector<double>.Zero;
        int v = Vector<float>.Count, k = 0;
        for (; k <= af.Length - v; k += v)
        {
            Vector.Widen(new Vector<float>(af[k..]), out var a0, out var a1);
            Vector.Widen(new Vector<float>(bf[k..]), out var b0, out var b1);
            acc += a0 * b0 + a1 * b1;
        }
        double sum = Vector.Sum(acc);
        for (; k < af.Length; k++)
            sum += (double)af[k] * bf[k];
        return sum;
    }

    public override void Combine<T>(Block<T> dst, double beta, Block<T> a, double[,] s)
    {
        CheckSameCols(dst, a, nameof(Combine));
        int n = dst.Cols, p = a.Rows, q = dst.Rows;
        if (s.GetLength(0) != p || s.GetLength(1) != q)
            throw new ArgumentException($"Combine: coefficients are {s.GetLength(0)}×{s.GetLength(1)}, expected {p}×{q}.");
        T[] D = ((ManagedStorage<T>)dst.Matrix.Storage).Array, A = ((ManagedStorage<T>)a.Matrix.Storage).Array;
        int dOff = (int)dst.Offset, aOff = (int)a.Offset;
        int chunks = (n + Chunk - 1) / Chunk;
        T tb = T.CreateChecked(beta);
        Parallel.For(0, q * chunks, e =>
        {
            int c = e / chunks, i0 = e % chunks * Chunk, len = Math.Min(Chunk, n - i0);
            var dc = new Span<T>(D, dOff + c * n + i0, len);
            if (beta == 0)
                dc.Clear();
            else if (beta != 1)
                TensorPrimitives.Multiply(dc, tb, dc);
            for (int r = 0; r < p; r++)
            {
                double coef = s[r, c];
                if (coef != 0)
                    TensorPrimitives.MultiplyAdd(new ReadOnlySpan<T>(A, aOff + r * n + i0, len), T.CreateChecked(coef), dc, dc);
            }
        });
    }

    public override void Copy<T>(Block<T> src, Block<T> dst)
    {
        CheckSameCols(src, dst, nameof(Copy));
        Data(src).CopyTo(Data(dst));
    }

    public override void Synchronize()
    {
    }

    public override void Dispose()
    {
    }
}
