// HostRowSums: the σ rule's pair terms and affinity row sums on the host (float64, Vector<double>, rows in parallel).
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using NcutKernels.Backends;
using NcutKernels.Core;

namespace NcutKernels.Backends.Managed;

/// <summary>
/// The host implementation: the pair terms (RBF: squared distances, 0 on the diagonal; cosine: cosine similarities of the
/// rows scaled to unit length, norm floored at 1e-8) from the Gram matrix, then each σ's affinities summed per row without
/// storing them (the exp and summation order of <see cref="SimdMath.ExpScaled{T}"/> / <see cref="SimdMath.CosineRow{T}"/> then
/// <see cref="SimdMath.Sum{T}"/>).
/// </summary>
internal sealed class HostRowSums : IAffinityRowSums
{
    private readonly double[] _pair;
    private readonly int _m;
    private readonly AffinityKind _kind;

    /// <summary>Pair terms of xs (m×d row-major, float64: its first m·d elements; xs is not kept).</summary>
    public HostRowSums(double[] xs, int m, int d, AffinityKind kind)
    {
        _m = m;
        _kind = kind;
        var sq = SquaredNorms(xs, m, d);
        _pair = new double[m * m];
        ManagedBackend.Gram(xs, m, d, _pair);
        var p = _pair;
        if (kind == AffinityKind.Rbf)
            Parallel.For(0, m, i =>
            {
                for (int j = 0; j < m; j++)
                    p[i * m + j] = i == j ? 0 : Math.Max(0, sq[i] + sq[j] - 2 * p[i * m + j]);
            });
        else
        {
            var norm = CosineNorms(sq);
            Parallel.For(0, m, i =>
            {
                for (int j = 0; j < m; j++)
                    p[i * m + j] /= norm[i] * norm[j];
            });
        }
    }

    /// <summary>sq[i] = ‖x_i‖² (<see cref="SimdMath.Dot{T}"/>; rows in parallel).</summary>
    internal static double[] SquaredNorms(double[] xs, int m, int d)
    {
        var sq = new double[m];
        Parallel.For(0, m, i => sq[i] = SimdMath.Dot<double>(xs.AsSpan(i * d, d), xs.AsSpan(i * d, d)));
        return sq;
    }

    /// <summary>max(‖x_i‖, 1e-8), the cosine denominators.</summary>
    internal static double[] CosineNorms(double[] sq) => Array.ConvertAll(sq, s => Math.Max(Math.Sqrt(s), AffinityMath.CosineNormFloor));

    /// <inheritdoc/>
    public int Lookahead => 1;

    /// <inheritdoc/>
    public void RowSums(ReadOnlySpan<double> sigmas, double[] sums)
    {
        for (int b = 0; b < sigmas.Length; b++)
        {
            double scale = -1 / (2 * sigmas[b] * sigmas[b]);
            int o = b * _m;
            Parallel.For(0, _m, i => sums[o + i] = _kind == AffinityKind.Rbf
                ? RbfRowSum(new ReadOnlySpan<double>(_pair, i * _m, _m), scale)
                : CosineRowSum(new ReadOnlySpan<double>(_pair, i * _m, _m), -scale, AffinityMath.CosineFloor));
        }
    }

    /// <summary>Σ_j exp(p_j·scale).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double RbfRowSum(ReadOnlySpan<double> p, double scale)
    {
        var acc = Vector<double>.Zero;
        ref double p0 = ref MemoryMarshal.GetReference(p);
        int k = 0;
        for (; k <= p.Length - Vector<double>.Count; k += Vector<double>.Count)
            acc += Vector.Exp(Vector.LoadUnsafe(ref p0, (nuint)k) * scale);
        double s = Vector.Sum(acc);
        for (; k < p.Length; k++)
            s += Math.Exp(p[k] * scale);
        return s;
    }

    /// <summary>Σ_j (exp(−(1 − p_j)²·scale) + floor).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double CosineRowSum(ReadOnlySpan<double> p, double scale, double floor)
    {
        var neg = new Vector<double>(-scale);
        var f = new Vector<double>(floor);
        var acc = Vector<double>.Zero;
        ref double p0 = ref MemoryMarshal.GetReference(p);
        int k = 0;
        for (; k <= p.Length - Vector<double>.Count; k += Vector<double>.Count)
        {
            var t = Vector<double>.One - Vector.LoadUnsafe(ref p0, (nuint)k);
            acc += Vector.Exp(t * t * neg) + f;
        }
        double s = Vector.Sum(acc);
        for (; k < p.Length; k++)
        {
            double t = 1 - p[k];
            s += Math.Exp(-t * t * scale) + floor;
        }
        return s;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
    }
}
