// FeatureScale: the exact power-of-two rescale of features outside their precision's safe range, and σ in the user's and the scaled units.
using System.Numerics;
using NcutKernels.Backends.Managed;
using NcutKernels.Core;

namespace NcutKernels.Spectral;

/// <summary>
/// Features multiplied by 2^−<see cref="Exponent"/>: exact for every value except those that fall into the subnormals (far below
/// the largest, where the distances' rounding hides them anyway). <see cref="Exponent"/> is 0 — the features are used as given,
/// bit for bit — when the largest |x| lies in the precision's safe range (<see cref="SafeExponent{T}"/>) or x is all zeros;
/// otherwise it is ⌊log₂ max|x|⌋, which puts the scaled largest |x| in [1, 2). In the safe range no squared norm or distance of
/// up to 2³¹ columns overflows and none of the scale of the data reaches the subnormals. The RBF affinity depends on x/σ only,
/// so (x, σ) and (x·2^−e, σ·2^−e) give the same graph; the cosine affinity does not depend on the scale of x and its σ has no unit.
/// </summary>
/// <param name="Exponent">e: the features are used as x·2^−e.</param>
/// <param name="MaxAbs">The largest |x| of the user's features (for messages).</param>
internal readonly record struct FeatureScale(int Exponent, double MaxAbs)
{
    /// <summary>b of the safe range [2^−b, 2^b) of max|x|: 32 for float32, 256 for float64.</summary>
    public static int SafeExponent<T>() where T : unmanaged, IFloatingPointIeee754<T> => typeof(T) == typeof(float) ? 32 : 256;

    /// <summary>
    /// The smallest σ in the scaled units: 2^−60 for float32, 2^−500 for float64, where 1/(2σ²) (the affinity's factor) and 1/σ²
    /// (the backward's) still fit the precision with room for the pair terms they multiply.
    /// </summary>
    public static double MinScaledSigma<T>() where T : unmanaged, IFloatingPointIeee754<T> =>
        Math.ScaleB(1.0, typeof(T) == typeof(float) ? -60 : -500);

    /// <summary>The rescale for features whose largest |x| is <paramref name="maxAbs"/> (finite, ≥ 0): none in the safe range.</summary>
    public static FeatureScale Of<T>(T maxAbs) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int b = SafeExponent<T>();
        double max = double.CreateChecked(maxAbs);
        if (maxAbs == T.Zero || (T.ILogB(maxAbs) >= -b && T.ILogB(maxAbs) < b))
            return new FeatureScale(0, max);
        return new FeatureScale(T.ILogB(maxAbs), max);
    }

    /// <summary>
    /// The rescale that puts the largest |x| (<paramref name="maxAbs"/>, finite, ≥ 0) in [1, 2) whatever its size (none for
    /// all zeros): what the σ rule measures on, so that σ(2^j·x) = 2^j·σ(x) exactly.
    /// </summary>
    public static FeatureScale Unit(double maxAbs) => new(maxAbs == 0 ? 0 : double.ILogB(maxAbs), maxAbs);

    /// <summary>
    /// The rescale an affinity of <paramref name="kind"/> uses, from the safe-range rescale <paramref name="safe"/> of
    /// <see cref="Of{T}(ReadOnlySpan{T}, int, string)"/>: RBF as is; cosine always into max|x| ∈ [1, 2) (<see cref="Unit"/>), which
    /// leaves every unit row x̂ bit for bit as it was (a power of two cancels in x/‖x‖) but applies the norm floor
    /// (<see cref="AffinityMath.CosineNormFloor"/>) and the σ rule's σ0 relative to the features' scale, so that the cosine
    /// graph does not depend on it.
    /// </summary>
    public static FeatureScale For(FeatureScale safe, AffinityKind kind) => kind == AffinityKind.Cosine ? Unit(safe.MaxAbs) : safe;

    /// <summary>
    /// The finiteness check of x (row-major, <paramref name="cols"/> wide; an <see cref="ArgumentException"/> naming
    /// <paramref name="paramName"/>, the value, row and column) and, from the largest |x| of the same pass, x's rescale.
    /// </summary>
    public static FeatureScale Of<T>(ReadOnlySpan<T> x, int cols, string paramName) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (bad, maxAbs) = FiniteScan.Scan(x);
        if (bad >= 0)
            throw FiniteScan.NonFinite(x[(int)bad], bad, cols, paramName);
        return Of(maxAbs);
    }

    /// <summary>True when the features are used as given.</summary>
    public bool IsIdentity => Exponent == 0;

    /// <summary>Elements per parallel block of <see cref="Apply{T}(ReadOnlySpan{T}, Span{T})"/>.</summary>
    private const int ApplyBlock = 1 << 16;

    /// <summary>
    /// dst = x·2^−e element-wise, rounded once (not at all unless the result is subnormal): a SIMD multiply when 2^−e is a normal
    /// number of T, <c>ScaleB</c> otherwise (same result); blocks in parallel.
    /// </summary>
    public void Apply<T>(ReadOnlySpan<T> x, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (dst.Length < x.Length)
            throw new ArgumentException($"dst holds {dst.Length} values, x {x.Length}.", nameof(dst));
        int e = -Exponent, length = x.Length;
        bool normalFactor = T.IsNormal(T.ScaleB(T.One, e));
        T factor = T.ScaleB(T.One, e);
        unsafe
        {
            fixed (T* px = x, pd = dst)
            {
                nint source = (nint)px, target = (nint)pd;
                Parallel.For(0, (length + ApplyBlock - 1) / ApplyBlock, b =>
                {
                    int i = b * ApplyBlock, len = Math.Min(length, i + ApplyBlock) - i;
                    var from = new ReadOnlySpan<T>((T*)source + i, len);
                    var to = new Span<T>((T*)target + i, len);
                    if (normalFactor)
                    {
                        from.CopyTo(to);
                        SimdMath.Scale(to, factor);
                    }
                    else
                        for (int k = 0; k < len; k++)
                            to[k] = T.ScaleB(from[k], e);
                });
            }
        }
    }

    /// <summary>x·2^−e as a new array.</summary>
    public T[] Apply<T>(ReadOnlySpan<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var dst = new T[x.Length];
        Apply(x, dst);
        return dst;
    }

    /// <summary>σ in the scaled units: σ·2^−e for RBF (σ has the features' unit), as given for cosine (no unit).</summary>
    public double ToScaled(double sigma, AffinityKind kind) => kind == AffinityKind.Rbf ? Math.ScaleB(sigma, -Exponent) : sigma;

    /// <summary>σ in the user's units: the inverse of <see cref="ToScaled"/>.</summary>
    public double ToUser(double sigma, AffinityKind kind) => kind == AffinityKind.Rbf ? Math.ScaleB(sigma, Exponent) : sigma;

    /// <summary>
    /// Throws an <see cref="ArgumentOutOfRangeException"/> naming Sigma, its value in the user's units and the limit (also relative
    /// to max|x| for RBF) when <paramref name="scaledSigma"/> is below <see cref="MinScaledSigma{T}"/>: 1/(2σ²) would overflow T.
    /// </summary>
    public void ThrowIfSigmaTooSmall<T>(double scaledSigma, AffinityKind kind) where T : unmanaged, IFloatingPointIeee754<T>
    {
        double min = MinScaledSigma<T>();
        if (scaledSigma >= min)
            return;
        double user = ToUser(scaledSigma, kind), limit = ToUser(min, kind);
        string precision = typeof(T) == typeof(float) ? "float32" : "float64";
        int minExponent = double.ILogB(min), b = SafeExponent<T>();
        string relative = kind == AffinityKind.Rbf
            ? $" = 2^{minExponent} × 2^{Exponent}, where 2^{Exponent} is the features' scale (max|x| = {MaxAbs:G6}; the scale is 1 while max|x| lies in [2^-{b}, 2^{b}))"
            : " (the cosine σ has no unit: the limit does not depend on the features)";
        throw new ArgumentOutOfRangeException(nameof(NcutOptions.Sigma), user,
            $"Sigma = {user:G6} is below {limit:G6}{relative}, the smallest σ the {precision} {(kind == AffinityKind.Rbf ? "RBF" : "cosine")} " +
            "affinity can use: 1/(2σ²) would overflow.");
    }
}
