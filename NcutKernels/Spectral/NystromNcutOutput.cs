// NystromNcutOutput: what a Nyström fit decides from its own output rows — the column signs every later transform uses, and the optional accuracy check.
using System.Diagnostics;
using System.Numerics;
using System.Runtime.InteropServices;
using NcutKernels.Backends;
using NcutKernels.Backends.Managed;
using NcutKernels.Core;
using NcutKernels.Ops;
using NcutKernels.Runtime;
using NcutKernels.Solvers;

namespace NcutKernels.Spectral;

public sealed partial class NystromNcut
{
    /// <summary>The last Nyström fit's accuracy check (<see cref="NystromOptions.AccuracyCheckRows"/>); null when none ran.</summary>
    public NystromAccuracy? Accuracy { get; private set; }

    /// <summary>
    /// Decides the output's column signs from its column sums over the fit's rows (each column flipped so that its sum is ≥ 0),
    /// records them in the fit and flips the device-resident propagation values, so that every later transform gives the same
    /// signs. Returns the signs.
    /// </summary>
    private double[] FixSigns(double[] columnSums)
    {
        var signs = columnSums.Select(v => v < 0 ? -1.0 : 1.0).ToArray();
        _fit = _fit! with { OutputSigns = signs };
        if (signs.Any(v => v < 0))
            _resident?.ScaleValues(_device, signs);
        Options.Log?.WriteLine($"nystrom: output column signs from the fit's {_fit.Points} rows: {signs.Count(v => v < 0)} of {signs.Length} flipped");
        return signs;
    }

    /// <summary>Column sums of a row-major rows×k host matrix, in float64.</summary>
    private static double[] HostColumnSums<T>(ReadOnlySpan<T> u, int k) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var sums = new double[k];
        for (int i = 0; i < u.Length; i++)
            sums[i % k] += double.CreateTruncating(u[i]);
        return sums;
    }

    /// <summary>Multiplies each column of a row-major rows×k host matrix by its sign.</summary>
    private static void FlipColumns<T>(Span<T> u, double[] signs) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!signs.Any(v => v < 0))
            return;
        int k = signs.Length;
        for (int i = 0; i < u.Length; i++)
            if (signs[i % k] < 0)
                u[i] = -u[i];
    }

    /// <summary>
    /// Signs and accuracy check of a host Nyström fit whose output <paramref name="u"/> (rows×k) was just propagated from x.
    /// </summary>
    private void FinishHostFit<T>(ReadOnlySpan<T> x, int rows, int cols, T[,] u) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var flat = MemoryMarshal.CreateSpan(ref u[0, 0], u.Length);
        int k = u.GetLength(1);
        FlipColumns(flat, FixSigns(HostColumnSums<T>(flat, k)));
        if (Nystrom.AccuracyCheckRows == 0)
            return;
        var picks = AccuracyRows(rows, k);
        var (xr, ur) = (HostArrays.Rows<T>(x, cols, picks), HostArrays.Rows<T>(flat, k, picks));
        var whole = rows <= NystromOptions.ExactCheckLimit ? (x.ToArray(), flat.ToArray()) : default;
        Accuracy = CheckAccuracy<T>(rows, cols, picks, xr, ur, whole);
    }

    /// <summary>Signs and accuracy check of a device Nyström fit whose output <paramref name="u"/> (rows×k, on the device) was just propagated from x.</summary>
    private void FinishDeviceFit<T>(DeviceMatrix<T> x, DeviceMatrix<T> u) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var be = _device.Backend;
        var signs = FixSigns(be.ColumnSums(u.All));
        if (signs.Any(v => v < 0))
            be.ScaleColumns(u.All, signs);
        if (Nystrom.AccuracyCheckRows == 0)
            return;
        var picks = AccuracyRows(x.Rows, u.Cols);
        var whole = x.Rows <= NystromOptions.ExactCheckLimit ? (Download(x), Download(u)) : default;
        Accuracy = CheckAccuracy<T>(x.Rows, x.Cols, picks, DeviceRows(x, picks), DeviceRows(u, picks), whole);
    }

    /// <summary>The rows <paramref name="picks"/> of a device matrix, widened to float64 (<see cref="StagedRows{T}"/>).</summary>
    private static double[] DeviceRows<T>(DeviceMatrix<T> m, int[] picks) where T : unmanaged, IFloatingPointIeee754<T>
    {
        using var rows = StagedRows<T>.Of(m, picks);
        return HostArrays.Widen(rows.Span);
    }

    private static T[] Download<T>(DeviceMatrix<T> m) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var host = new T[m.Length];
        m.Download(host);
        return host;
    }

    /// <summary>Mixed into the seed for the accuracy check's rows.</summary>
    private const int AccuracySeedSalt = 0x2C1B3C6D;

    /// <summary>The accuracy check's rows of n: max(AccuracyCheckRows, 4k) of them (at most n), seeded, ascending.</summary>
    private int[] AccuracyRows(int n, int k)
    {
        var picks = UniformSampling.Draw(n, Math.Min(n, Math.Max(Nystrom.AccuracyCheckRows, 4 * k)), unchecked(Options.Seed ^ AccuracySeedSalt));
        Array.Sort(picks);
        return picks;
    }

    /// <summary>
    /// The accuracy check (<see cref="NystromAccuracy"/>): the rows <paramref name="picks"/> of x (<paramref name="xr"/>) and of the
    /// fit's output (<paramref name="ur"/>), both float64, against the float64 all-landmark classic extension of those rows, and
    /// for n ≤ <see cref="NystromOptions.ExactCheckLimit"/> the whole output against the exact embedding of all of x
    /// (<paramref name="whole"/>: x and the output; null beyond the limit). Logs the result and warns when it fails.
    /// </summary>
    private NystromAccuracy CheckAccuracy<T>(int n, int d, int[] picks, double[] xr, double[] ur, (T[] x, T[] u) whole)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var sw = Stopwatch.StartNew();
        var fit = _fit!;
        var resident = (NystromResident<T>?)_resident ?? throw new InvalidOperationException("The accuracy check needs the fit on the device.");
        int k = fit.Eigenvalues.Length, m = fit.Indices.Length, count = picks.Length;
        var landmarks = HostArrays.Widen<T>(Download(resident.Features));
        var vectors = resident.DownloadVectors();
        var degrees = fit.Degrees ?? Ops.NystromOps.LandmarkDegrees(_device, resident.Features, fit.Sigma, Options.Affinity);
        var reference = ClassicReference(xr, count, d, landmarks, m, vectors, fit.Eigenvalues, degrees, fit.Sigma, fit.OutputSigns!);
        var errors = new double[count];
        for (int i = 0; i < count; i++)
        {
            double diff = 0, norm = 0;
            for (int c = 0; c < k; c++)
            {
                double r = reference[(long)i * k + c], e = ur[(long)i * k + c] - r;
                diff += e * e;
                norm += r * r;
            }
            errors[i] = norm > 0 ? Math.Sqrt(diff / norm) : Math.Sqrt(diff);
        }
        double sin = SubspaceAngle.Sin(ur, reference, count, k);
        double? exact = null;
        if (whole.x is { } x && whole.u is { } u && n > k)
        {
            var exactNcut = new Ncut(_device, Options with { Sigma = fit.Sigma, Quantile = null, Log = null, OnWarning = null, Strict = false });
            var ue = exactNcut.FitTransform<T>(x, n, d);
            exact = SubspaceAngle.Sin(HostArrays.Widen<T>(u), HostArrays.Widen<T>(MemoryMarshal.CreateReadOnlySpan(ref ue[0, 0], ue.Length)), n, k);
        }
        var sorted = (double[])errors.Clone();
        Array.Sort(sorted);
        var result = new NystromAccuracy(count, sin, sorted[^1], sorted[count / 2], exact, sw.Elapsed.TotalMilliseconds);
        Options.Log?.WriteLine($"nystrom: {result}");
        Accuracy = result;
        if (!result.Passed)
            Options.Warn(new NcutWarning("nystrom accuracy",
                $"the propagated rows differ from the float64 all-landmark extension by sin θ {sin:E2} > {NystromAccuracy.Tolerance} ({count} sampled rows)",
                Propagation != NystromPropagation.Classic
                    ? $"the check compares with the classic extension: use Propagation = Classic to be within it ({Propagation} propagation differs by design)"
                    : "use the classic extension over more landmarks (NystromOptions.ClassicLandmarks, a smaller ClassicTolerance) or DistancePrecision.Fp32"));
        return result;
    }

    /// <summary>
    /// The classic extension over every landmark in float64 for the rows <paramref name="x"/> (count×d): w_j = exp(−‖x − l_j‖²/(2σ²))
    /// from direct differences, u_c(x) = sign_c·Σ_j w_j·u_jc/(√d_j·λ̃_c)/√Σ_j w_j (rows whose weights all vanish are 0).
    /// </summary>
    private static double[] ClassicReference(double[] x, int count, int d, double[] landmarks, int m, double[] vectors, double[] eigenvalues,
        double[] degrees, double sigma, double[] signs)
    {
        int k = eigenvalues.Length;
        double scale = 1 / (2 * sigma * sigma);
        var coef = new double[(long)m * k];
        for (int j = 0; j < m; j++)
        {
            double s = 1 / Math.Sqrt(Math.Max(degrees[j], AffinityMath.DegreeFloor));
            for (int c = 0; c < k; c++)
                coef[(long)j * k + c] = vectors[(long)j * k + c] * s * signs[c] / Math.Max(eigenvalues[c], NystromOps.EigenvalueFloor);
        }
        var result = new double[(long)count * k];
        Parallel.For(0, count, i =>
        {
            var sums = new double[k];
            double total = 0;
            var xi = x.AsSpan(i * d, d);
            for (int j = 0; j < m; j++)
            {
                var lj = landmarks.AsSpan(j * d, d);
                double dist = 0;
                for (int t = 0; t < d; t++)
                {
                    double e = xi[t] - lj[t];
                    dist += e * e;
                }
                double w = Math.Exp(-dist * scale);
                total += w;
                for (int c = 0; c < k; c++)
                    sums[c] += w * coef[(long)j * k + c];
            }
            double norm = total > AffinityMath.WeightFloor ? 1 / Math.Sqrt(total) : 0;
            for (int c = 0; c < k; c++)
                result[(long)i * k + c] = sums[c] * norm;
        });
        return result;
    }
}
