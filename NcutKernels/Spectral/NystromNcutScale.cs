// NystromNcutScale: the exact power-of-two feature scale of a Nyström fit — chosen from the fitted rows, kept, and applied to every transform's rows.
using System.Numerics;
using NcutKernels.Core;
using NcutKernels.Runtime;

namespace NcutKernels.Spectral;

public sealed partial class NystromNcut
{
    /// <summary>
    /// The rows of a transform as the fit uses them: null when the fit's scale is the identity (x as given), else x·2^−e with the
    /// fitted e (<see cref="FeatureScale"/>). Checks x for NaN/∞ and, from the same pass, that its rows stay within the safe range
    /// of the fit's scale (beyond it their distances to the landmarks could overflow).
    /// </summary>
    private static T[]? ScaledTransformRows<T>(ReadOnlySpan<T> x, int rows, int cols, FeatureScale scale) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (x.Length != (long)rows * cols)
            throw new ArgumentException($"x holds {x.Length} values, expected {rows}×{cols}.", nameof(x));
        var (bad, maxAbs) = FiniteScan.Scan(x);
        if (bad >= 0)
            throw FiniteScan.NonFinite(x[(int)bad], bad, cols, nameof(x));
        ThrowIfBeyondScale<T>(double.CreateTruncating(maxAbs), scale);
        return scale.IsIdentity ? null : scale.Apply(x);
    }

    /// <summary>Refuses rows whose largest |x| (<paramref name="maxAbs"/>) reaches 2^b·2^e, b the precision's safe exponent, e the fit's scale.</summary>
    private static void ThrowIfBeyondScale<T>(double maxAbs, FeatureScale scale) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int b = FeatureScale.SafeExponent<T>();
        if (maxAbs > 0 && double.ILogB(maxAbs) - scale.Exponent >= b)
            throw new ArgumentOutOfRangeException("x", maxAbs,
                $"x holds |x| = {maxAbs:G3}, beyond what the fit's scale can embed (fitted on max|x| = {scale.MaxAbs:G3}; at most 2^{b + scale.Exponent}): " +
                "its distances to the landmarks would overflow — refit on data that include these rows.");
    }

    /// <summary>The feature scale of device-resident x (finite: checked first), from its largest |x| (one pass on the device).</summary>
    private FeatureScale DeviceScale<T>(DeviceMatrix<T> x) where T : unmanaged, IFloatingPointIeee754<T> =>
        FeatureScale.Of(T.CreateTruncating(_device.Backend.MaxAbs(x.All)));

    /// <summary>
    /// x·2^−e as a new matrix on the device (exact: multiplied by powers of two that float32 holds, in as many steps as needed);
    /// only for features outside the safe range, whose fit then holds this copy while it runs.
    /// </summary>
    private DeviceMatrix<T> ScaledCopy<T>(DeviceMatrix<T> x, FeatureScale scale) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var copy = DeviceMatrix<T>.Allocate(_device, x.Rows, x.Cols);
        try
        {
            var be = _device.Backend;
            be.Copy(x.All, copy.All);
            for (int left = -scale.Exponent; left != 0;)
            {
                int step = Math.Clamp(left, -MaxDeviceScaleStep, MaxDeviceScaleStep);
                be.ScaleColumns(copy.All, Enumerable.Repeat(Math.ScaleB(1.0, step), x.Cols).ToArray());
                left -= step;
            }
        }
        catch
        {
            copy.Dispose();
            throw;
        }
        Options.Log?.WriteLine($"nystrom: {x.Rows}×{x.Cols} rows scaled by 2^{-scale.Exponent} on the device (max|x| = {scale.MaxAbs:G3}), a copy for this call");
        return copy;
    }

    /// <summary>The largest |e| of one device scaling step (2^±100 are normal float32 numbers).</summary>
    private const int MaxDeviceScaleStep = 100;

    /// <summary>
    /// σ of the landmark graph in the fit's scaled units, from the landmark rows as the fit uses them (x·2^−e, row-major m×d):
    /// <see cref="NcutOptions.Sigma"/> converted, the cosine default, or the degree rule — for the cosine affinity measured on the rows
    /// scaled into max|x| ∈ [1, 2) as the exact path measures it; with the smallest-σ check.
    /// </summary>
    private double LandmarkSigma<T>(ReadOnlySpan<T> rows, int m, int d, FeatureScale scale) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var measured = FeatureScale.For(scale, Options.Affinity);
        if (measured.Exponent == scale.Exponent)
            return Options.ScaledSigmaFor(rows, m, d, _device, scale);
        var relative = new FeatureScale(measured.Exponent - scale.Exponent, measured.MaxAbs);
        return Options.ScaledSigmaFor<T>(relative.Apply(rows), m, d, _device, measured);
    }

    /// <summary>
    /// For the cosine affinity, the landmark rows scaled from the fit's units into max|x| ∈ [1, 2) (a copy on the device), so that
    /// the graph and the σ rule see what the exact path sees; null for RBF or when the two scales agree.
    /// </summary>
    private DeviceMatrix<T>? CosineUnitRows<T>(DeviceMatrix<T> rows, FeatureScale scale) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var unit = FeatureScale.For(scale, Options.Affinity);
        return unit.Exponent == scale.Exponent ? null : ScaledCopy(rows, new FeatureScale(unit.Exponent - scale.Exponent, unit.MaxAbs));
    }

    /// <summary>
    /// As <see cref="LandmarkSigma{T}(ReadOnlySpan{T}, int, int, FeatureScale)"/> for landmark rows on the device in the units of
    /// <paramref name="scale"/> (the degree rule reads the ≤ 4000 it needs).
    /// </summary>
    private double LandmarkSigma<T>(DeviceMatrix<T> rows, FeatureScale scale) where T : unmanaged, IFloatingPointIeee754<T>
    {
        double sigma = Options.Sigma is { } s ? scale.ToScaled(s, Options.Affinity) : Options.SigmaFor(rows);
        scale.ThrowIfSigmaTooSmall<T>(sigma, Options.Affinity);
        return sigma;
    }
}
