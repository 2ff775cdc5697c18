// NystromNcutGradient: the differentiable NystromNcut.FitTransform(Variable): landmarks gathered on the tape, their exact embedding, the propagation method's recorded op, signs from the recorded output.
using System.Diagnostics;
using System.Numerics;
using System.Runtime.InteropServices;
using NcutKernels.Autodiff;
using NcutKernels.Ops;
using NcutKernels.Solvers;

namespace NcutKernels.Spectral;

public sealed partial class NystromNcut
{
    private Ncut? _landmarkNcut;

    /// <summary>
    /// Diagnostics of the last backward pass through the landmark (or, on the exact path, the whole) eigen-solve of a
    /// differentiable fit; null before one ran.
    /// </summary>
    public EigenGradientReport? GradientReport => _landmarkNcut?.GradientReport;

    /// <summary>The landmark (or exact) eigen-solve's reports of the last batched backward by loss index; null before one ran.</summary>
    internal IReadOnlyDictionary<int, EigenGradientReport>? BatchGradientReports => _landmarkNcut?.BatchGradientReports;

    /// <summary>
    /// Differentiable fit: records the embedding on <paramref name="x"/>'s tape and returns the n×k eigenvectors and the 1×k
    /// landmark eigenvalues as variables; after <c>tape.Backward(loss)</c>, <c>x.Gradient</c> holds dLoss/dX for every row.
    /// At or below the threshold (<see cref="EmbeddingPath.Exact"/>) this is <see cref="Ncut.FitTransform{T}(Variable{T})"/>.
    /// On the Nyström path the landmarks are sampled and σ chosen without gradient (constants, as in ncut_pytorch); the
    /// landmark features are gathered from x on the tape, embedded exactly (<see cref="Ncut.FitTransform{T}(Variable{T})"/>, σ
    /// fixed) and extended to every point by one recorded operation: the classic extension, whose backward reaches x, the
    /// landmark features (through the weights and the landmark degrees), the landmark eigenvectors and eigenvalues
    /// (<see cref="NystromOps"/>), or a nearest-anchor propagation, whose backward reaches x, the anchors' features (through the
    /// weights and, for <see cref="NystromPropagation.NcutPytorch"/>, the anchors' degrees) and the anchors' eigenvector rows, with
    /// anchors, σp and neighbour sets constant (<see cref="NystromNearestOps"/>). x receives gradient both as a point and, for landmark rows, through the gather. The values
    /// equal <see cref="FitTransform{T}(T[,])"/>'s on the same data and options. The fit is kept as by <see cref="Fit{T}(T[,])"/>.
    /// </summary>
    public (Variable<T> eigenvectors, Variable<T> eigenvalues) FitTransform<T>(Variable<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(x);
        var tape = x.Tape;
        tape.Check(x, nameof(x));
        if (tape.Device != _device)
            throw new ArgumentException("x lives on another device than this NystromNcut.", nameof(x));
        int rows = x.Rows, cols = x.Cols;
        var host = x.ToArray();
        var span = MemoryMarshal.CreateReadOnlySpan(ref host[0, 0], host.Length);
        var (nystrom, scale) = BeginFit(span, rows, cols);
        if (!nystrom)
        {
            var exact = new Ncut(_device, Options);
            var sw0 = Stopwatch.StartNew();
            var (u, lambda) = exact.FitTransform(x);
            Report = exact.Report;
            _landmarkNcut = exact;
            Timings = new NystromTimings(0, 0, sw0.Elapsed.TotalMilliseconds, 0, 0);
            _fit = new NystromFit(rows, cols, Enumerable.Range(0, rows).ToArray(), scale.IsIdentity ? x.Host : scale.Apply<double>(x.Host), u.Host, null,
                exact.Eigenvalues, scale.ToScaled(exact.Sigma, Options.Affinity), Enumerable.Repeat(1.0, u.Cols).ToArray(), scale);
            return (u, lambda);
        }
        // Features outside the precision's safe range enter as x·2^−e, recorded as exact power-of-two scalings.
        if (!scale.IsIdentity)
        {
            x = Ncut.ScaledOnTape(tape, x, scale);
            host = x.ToArray();
            span = MemoryMarshal.CreateReadOnlySpan(ref host[0, 0], host.Length);
        }
        var log = Options.Log;
        var sw = Stopwatch.StartNew();
        var indices = LandmarkSampler.Sample(_device, span, rows, cols, Options, Nystrom);
        int m = indices.Length;
        var xl = tape.GatherRows(x, indices);
        double samplingMs = sw.Lap();
        log?.WriteLine($"nystrom: {m} landmarks of {rows} ({Nystrom.Sampling} sampling) in {samplingMs:F1} ms");

        var features = xl.ToArray();
        double sigma = LandmarkSigma(MemoryMarshal.CreateReadOnlySpan(ref features[0, 0], features.Length), m, cols, scale);
        double sigmaMs = sw.Lap();
        log?.WriteLine($"nystrom: landmark ncut m={m} d={cols} k={Options.EigenvectorCount} affinity={Options.Affinity} σ={scale.ToUser(sigma, Options.Affinity):G6} (recorded)");

        var landmark = new Ncut(_device, Options with { Sigma = sigma, Quantile = null });
        var (ul, lam) = landmark.FitTransform(xl);
        Report = landmark.Report;
        _landmarkNcut = landmark;
        double landmarkMs = sw.Lap();

        var v = _method.Record(tape, x, xl, ul, lam, sigma);
        _fit = new NystromFit(rows, cols, indices, xl.Host, ul.Host, null, landmark.Eigenvalues, sigma, null, scale);
        // Column signs from the recorded output's own rows (a constant ±1 diagonal, recorded, so the gradient follows them).
        var signs = FixSigns(HostColumnSums<double>(v.Host, v.Cols));
        if (signs.Any(s => s < 0))
        {
            var flip = new T[v.Cols, v.Cols];
            for (int c = 0; c < v.Cols; c++)
                flip[c, c] = T.CreateTruncating(signs[c]);
            v = tape.MatMul(v, tape.Constant(flip));
        }
        double propagationMs = sw.Lap();
        Timings = new NystromTimings(samplingMs, sigmaMs, landmarkMs, 0, propagationMs);
        log?.WriteLine($"nystrom: {Timings} (recorded)");
        return (v, lam);
    }

}
