// SpectralOps: differentiable affinity, normalization, top-k eigenpairs and the fused RBF embedding — each forward (device backend) beside its backward (+= into input gradients: host float64, the fused one through the backend).
using System.Diagnostics;
using System.Numerics;
using NcutKernels.Autodiff;
using NcutKernels.Backends.Managed;
using NcutKernels.Core;
using NcutKernels.Runtime;
using NcutKernels.Solvers;

namespace NcutKernels.Ops;

/// <summary>
/// The operations of an Ncut embedding on a <see cref="Tape{T}"/> — affinity, normalization, top-k eigenpairs, and the
/// three fused for RBF — with σ a constant, as in ncut_pytorch.
/// </summary>
internal static class SpectralOps
{
    internal sealed record AffinitySaved(AffinityKind Kind, double Sigma);

    internal sealed record NormalizeSaved(double[] Degrees);

    /// <summary>
    /// What the top-k backward needs: the eigenvalues of M (shift included), the forward residuals and θ_{k+1} (for the
    /// report's gap and resolution); <see cref="Report"/> is filled by the backward pass.
    /// </summary>
    internal sealed class TopKSaved(double[] theta, double[] residuals, double next, EigenBackwardSettings backward)
    {
        public double[] Theta { get; } = theta;
        public double[] Residuals { get; } = residuals;
        public double Next { get; } = next;
        public EigenBackwardSettings Settings { get; } = backward;
        public EigenGradientReport? Report { get; private set; }

        /// <summary>Called with each backward pass's report (the owner's reliability warning).</summary>
        public Action<EigenGradientReport>? Reported { get; set; }

        /// <summary>Keeps <paramref name="report"/> as <see cref="Report"/> and passes it to <see cref="Reported"/>.</summary>
        public void Publish(EigenGradientReport report)
        {
            Report = report;
            Reported?.Invoke(report);
        }

        /// <summary>The reports of the last batched backward, by loss index (<see cref="Tape{T}.Gradients"/>); null before one ran.</summary>
        public IReadOnlyDictionary<int, EigenGradientReport>? BatchReports { get; private set; }

        /// <summary>Keeps a batched backward's reports (the last also as <see cref="Report"/>) and passes each to <see cref="Reported"/>.</summary>
        public void PublishBatch(IReadOnlyDictionary<int, EigenGradientReport> reports)
        {
            BatchReports = reports;
            foreach (var report in reports.OrderBy(r => r.Key).Select(r => r.Value))
                Publish(report);
        }

        /// <summary><see cref="EigenBackward.Solve"/> with these settings.</summary>
        public (double[] y, EigenGradientReport report) Backward(Func<double[], double[]> multiply, double[] u, double[]? uBar, double[]? lambdaBar, int n, int k) =>
            EigenBackward.Solve(multiply, u, Theta, uBar, lambdaBar, n, k, Settings.Tolerance, Settings.MaxIterations, Residuals, Next);
    }

    // ---- affinity ---------------------------------------------------------------------------------------

    public static Variable<T> Affinity<T>(Tape<T> tape, Variable<T> x, AffinityKind kind, double sigma) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = x.Rows;
        var w = DeviceMatrix<T>.Allocate(tape.Device, n, n);
        tape.Device.Backend.Affinity(x.Value.All, w, kind, 1 / (2 * sigma * sigma));
        var saved = new AffinitySaved(kind, sigma);
        return tape.Record("affinity", [x], [w], e => AffinityBackward(e, saved))[0];
    }

    /// <summary>
    /// RBF: S = (W̄ + W̄ᵀ)∘W, X̄_i += −(1/σ²)·Σ_j S_ij·(x_i − x_j) (<see cref="RbfFeatureRows"/>). Cosine: with t = 1 − Ŝ (symmetric),
    /// Ŝ̄ = W̄∘(t/σ²)·exp(−t²/(2σ²)), X̂̄ = (Ŝ̄ + Ŝ̄ᵀ)·X̂, x̄_i += (x̂̄_i − (x̂_i·x̂̄_i)·x̂_i)/‖x_i‖; t from the Gram matrix of X̂, or from
    /// ½‖x̂_i − x̂_j‖² + gap_i + gap_j where the forward took direct differences (<see cref="AffinityMath.UsesDirectDifferences"/>),
    /// so that t of duplicate rows is 0 exactly rather than a rounding that 1/σ² would magnify.
    /// </summary>
    public static void AffinityBackward<T>(TapeEntry<T> e, AffinitySaved saved) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (x, wv) = (e.Inputs[0], e.Outputs[0]);
        int n = x.Rows, d = x.Cols;
        double[] xs = x.Host, w = wv.Host, wb = wv.Grad!;
        double inv = 1 / (saved.Sigma * saved.Sigma);
        var gx = x.GradForAccumulation();
        var sMat = new double[n * n];
        if (saved.Kind == AffinityKind.Rbf)
        {
            Parallel.For(0, n, i =>
            {
                for (int j = 0; j < n; j++)
                    sMat[i * n + j] = (wb[i * n + j] + wb[j * n + i]) * w[i * n + j];
            });
            var features = new RbfFeatureRows(xs, n, d, saved.Sigma);
            Parallel.For(0, (n + 3) / 4, block =>
            {
                int i0 = block * 4, rows = Math.Min(4, n - i0);
                // The block's four S rows: a ragged last block repeats row n − 1 (in a copy, as the product reads four rows).
                if (rows == 4)
                    features.Accumulate(sMat, i0 * n, i0, rows, gx);
                else
                {
                    var last = new double[4 * n];
                    for (int q = 0; q < 4; q++)
                        Array.Copy(sMat, Math.Min(i0 + q, n - 1) * n, last, q * n, n);
                    features.Accumulate(last, 0, i0, rows, gx);
                }
            });
            ThrowIfNotFinite(gx, "affinity", "X");
            return;
        }
        var norm = new double[n];
        var squaredNorm = new double[n];
        var xh = new double[n * d];
        for (int i = 0; i < n; i++)
        {
            double sq = 0;
            for (int c = 0; c < d; c++)
                sq += xs[i * d + c] * xs[i * d + c];
            squaredNorm[i] = sq;
            norm[i] = Math.Max(Math.Sqrt(sq), AffinityMath.CosineNormFloor);
            for (int c = 0; c < d; c++)
                xh[i * d + c] = xs[i * d + c] / norm[i];
        }
        // t = 1 − Ŝ: from the Gram matrix, or from the differences of the unit rows.
        var t = new double[n * n];
        if (AffinityMath.UsesDirectDifferences(AffinityKind.Cosine, 0, inv / 2))
        {
            ManagedBackend.SquaredDistances(xh, n, d, t);
            var gap = Array.ConvertAll(squaredNorm, AffinityMath.CosineGap);
            Parallel.For(0, n, i =>
            {
                for (int j = 0; j < n; j++)
                    t[i * n + j] = 0.5 * t[i * n + j] + gap[i] + gap[j];
            });
        }
        else
        {
            ManagedBackend.Gram(xh, n, d, t);
            Parallel.For(0, n, i =>
            {
                for (int j = 0; j < n; j++)
                    t[i * n + j] = 1 - t[i * n + j];
            });
        }
        // Ŝ̄ + Ŝ̄ᵀ with Ŝ̄_ab = W̄_ab·∂W_ab/∂Ŝ_ab = W̄_ab·(t_ab/σ²)·exp(−t_ab²/(2σ²)), the exponential recomputed in float64 (W − floor
        // from a float32 forward keeps it only down to the floor's rounding, 6e-11, which t/σ² would magnify at small σ).
        Parallel.For(0, n, i =>
        {
            for (int j = 0; j < n; j++)
            {
                double tij = t[i * n + j];
                sMat[i * n + j] = inv * tij * Math.Exp(-tij * tij * inv / 2) * (wb[i * n + j] + wb[j * n + i]);
            }
        });
        var xhBar = SimdKernels.SquareTimes(sMat, n, xh, d);
        Parallel.For(0, n, i =>
        {
            double dot = 0;
            for (int c = 0; c < d; c++)
                dot += xh[i * d + c] * xhBar[i * d + c];
            for (int c = 0; c < d; c++)
                gx[i * d + c] += (xhBar[i * d + c] - dot * xh[i * d + c]) / norm[i];
        });
        ThrowIfNotFinite(gx, "affinity", "X");
    }

    /// <summary>
    /// The guard on every backward rule here: an <see cref="ArithmeticException"/> naming the operation, the input and the first
    /// NaN or ±∞ of the gradient it accumulated, so that no non-finite gradient reaches the caller.
    /// </summary>
    private static void ThrowIfNotFinite(double[] gradient, string op, string input)
    {
        long bad = FiniteScan.FirstNonFinite<double>(gradient);
        if (bad >= 0)
            throw new ArithmeticException($"The backward of {op} produced a non-finite gradient {gradient[bad]} for {input} at element {bad}.");
    }

    /// <summary>The same guard over every input gradient of <paramref name="e"/> after its backward ran (inputs numbered from 0).</summary>
    internal static void ThrowIfNotFinite<T>(TapeEntry<T> e, string op) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < e.Inputs.Length; i++)
            if (e.Inputs[i].Grad is { } gradient)
                ThrowIfNotFinite(gradient, op, $"input {i}");
    }

    // ---- normalization ----------------------------------------------------------------------------------

    public static Variable<T> Normalize<T>(Tape<T> tape, Variable<T> w, double shift) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (m, degrees) = NormalizedCopy(tape.Device, w.Value, shift);
        var saved = new NormalizeSaved(degrees);
        return tape.Record("normalize", [w], [m], e => NormalizeBackward(e, saved))[0];
    }

    /// <summary>M = D^-1/2·W·D^-1/2 + shift·I as a new device matrix (W untouched), and the degrees d = W·1.</summary>
    private static (DeviceMatrix<T> m, double[] degrees) NormalizedCopy<T>(ComputeDevice device, DeviceMatrix<T> w, double shift)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = w.Rows;
        var be = device.Backend;
        var m = DeviceMatrix<T>.Allocate(device, n, n);
        be.Copy(w.All, m.All);
        using var degrees = DeviceMatrix<T>.Allocate(device, 1, n);
        be.RowSums(m, degrees.All);
        be.Normalize(m, degrees.All, shift);
        var d = new T[n];
        degrees.Download(d);
        return (m, d.Select(double.CreateChecked).ToArray());
    }

    /// <summary>
    /// W̄ += M̄∘(s·sᵀ) + d̄·1ᵀ, d̄_i = −½·d_i^(−3/2)·Σ_j (M̄_ij·W_ij + M̄_ji·W_ji)·s_j (0 where the degree was clamped);
    /// for the symmetric W of an affinity this is Σ_j (M̄_ij + M̄_ji)·W_ij·s_j (docs/MATH.md, section 6).
    /// </summary>
    public static void NormalizeBackward<T>(TapeEntry<T> e, NormalizeSaved saved) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (wv, mv) = (e.Inputs[0], e.Outputs[0]);
        int n = wv.Rows;
        double[] w = wv.Host, mb = mv.Grad!, deg = saved.Degrees;
        var s = AffinityMath.InvSqrtDegrees(deg);
        var gw = wv.GradForAccumulation();
        Parallel.For(0, n, i =>
        {
            double acc = 0;
            for (int j = 0; j < n; j++)
                acc += (mb[i * n + j] * w[i * n + j] + mb[j * n + i] * w[j * n + i]) * s[j];
            double dBar = deg[i] > AffinityMath.DegreeFloor ? -0.5 * Math.Pow(deg[i], -1.5) * acc : 0;
            for (int j = 0; j < n; j++)
                gw[i * n + j] += mb[i * n + j] * s[i] * s[j] + dBar;
        });
        ThrowIfNotFinite(gw, "normalize", "W");
    }

    // ---- the whole RBF embedding, fused ------------------------------------------------------------------

    /// <summary>
    /// Affinity (<paramref name="kind"/>) → normalization → top-k as one recorded operation ("ncut-embedding"): the backward never
    /// forms W̄ or M̄ (<see cref="NcutBackward"/> and its device twin), and the CG products use M·v = s∘(W·(s∘v)) + shift·v, so only W is kept.
    /// </summary>
    public static (Variable<T> u, Variable<T> lambda, TopKSaved saved, LanczosReport report) Embedding<T>(Tape<T> tape, Variable<T> x, AffinityKind kind,
        double sigma, LanczosSettings lanczos, EigenBackwardSettings backward, Action<string>? log = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(lanczos);
        ArgumentNullException.ThrowIfNull(backward);
        double shift = lanczos.Shift;
        int n = x.Rows;
        var be = tape.Device.Backend;
        var w = tape.Add(DeviceMatrix<T>.Allocate(tape.Device, n, n), false, "ncut-affinity", leaf: false);
        be.Affinity(x.Value.All, w.Value, kind, 1 / (2 * sigma * sigma));
        var (m, degrees) = NormalizedCopy(tape.Device, w.Value, shift);
        using (m)
        {
            var topK = SolveTopK(tape.Device, m, lanczos, backward, log, out var outputs, out var report);
            var saved = new EmbeddingSaved<T>(topK, kind, w, sigma, shift, degrees);
            var outs = tape.Record("ncut-embedding", [x], outputs, e => EmbeddingBackward(e, saved), (e, lanes) => EmbeddingBackwardBatch(e, lanes, saved));
            return (outs[0], outs[1], topK, report);
        }
    }

    /// <summary>What the fused backward needs: the top-k state, the affinity kind, W (owned by the tape), σ, the shift and the degrees.</summary>
    internal sealed record EmbeddingSaved<T>(TopKSaved TopK, AffinityKind Kind, Variable<T> W, double Sigma, double Shift, double[] Degrees)
        where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>
    /// Y from <see cref="EigenBackward"/> (CG coefficients and vectors on the host in float64, each product W·V by the
    /// device backend), then X̄ += the fused affinity + normalization backward on the backend
    /// (<see cref="Backends.Backend.AccumulateEmbeddingGradient{T}"/>).
    /// </summary>
    public static void EmbeddingBackward<T>(TapeEntry<T> e, EmbeddingSaved<T> saved) where T : unmanaged, IFloatingPointIeee754<T>
    {
        long start = Stopwatch.GetTimestamp();
        var (x, uv, lv) = (e.Inputs[0], e.Outputs[0], e.Outputs[1]);
        int n = x.Rows, k = uv.Cols;
        double[] u = uv.Host;
        using var product = new EmbeddingProduct<T>(x.Tape.Device, saved, n, k);
        var (y, report) = saved.TopK.Backward(product.Multiply, u, uv.Grad, lv.Grad, n, k);
        long affinityStart = Stopwatch.GetTimestamp();
        x.Tape.Device.Backend.AccumulateEmbeddingGradient(saved.Kind, x.Value.All, saved.W.Value, saved.Degrees, y, u, saved.Sigma, x.GradForAccumulation());
        saved.TopK.Publish(WithTimes(report, affinityStart, start));
        ThrowIfNotFinite(x.GradForAccumulation(), "ncut-embedding", "X");
    }

    /// <summary>
    /// The batched rule: one block CG for every lane's (Ū, λ̄) (<see cref="EigenBackward.SolveBatch"/>, products n×(k·C)),
    /// then the affinity backward per lane, over the rows the lane needs (<see cref="TapeLanes{T}.Rows"/>).
    /// </summary>
    public static void EmbeddingBackwardBatch<T>(TapeEntry<T> e, TapeLanes<T> lanes, EmbeddingSaved<T> saved) where T : unmanaged, IFloatingPointIeee754<T>
    {
        long start = Stopwatch.GetTimestamp();
        var (x, uv) = (e.Inputs[0], e.Outputs[0]);
        int n = x.Rows, k = uv.Cols;
        double[] u = uv.Host;
        var active = lanes.Active;
        using var product = new EmbeddingProduct<T>(x.Tape.Device, saved, n, k * active.Count);
        var (ys, reports) = EigenBackward.SolveBatch(product.Multiply, u, saved.TopK.Theta, active.Select(c => (lanes.Output(c, 0), lanes.Output(c, 1))).ToArray(),
            n, k, saved.TopK.Settings.Tolerance, saved.TopK.Settings.MaxIterations, saved.TopK.Residuals, saved.TopK.Next);
        long affinityStart = Stopwatch.GetTimestamp();
        var gxs = active.Select(c => lanes.Input(c, 0)).ToArray();
        x.Tape.Device.Backend.AccumulateEmbeddingGradients(saved.Kind, x.Value.All, saved.W.Value, saved.Degrees, ys, u, saved.Sigma, gxs,
            active.Select(lanes.Rows).ToArray());
        var published = new Dictionary<int, EigenGradientReport>();
        for (int a = 0; a < active.Count; a++)
        {
            ThrowIfNotFinite(gxs[a], "ncut-embedding", "X");
            published[active[a]] = WithTimes(reports[a], affinityStart, start);
        }
        saved.TopK.PublishBatch(published);
    }

    /// <summary>
    /// M·V = s∘(W·(s∘V)) + shift·V for n×w row-major V (w = V.Length / n, at most the width allocated) on the device backend, for the CG of the fused embedding's backward. The
    /// backend stores vectors as rows, hence the transposes (row chunks in parallel); the result is reused: the CG reads each
    /// product before asking for the next.
    /// </summary>
    private sealed class EmbeddingProduct<T>(ComputeDevice device, EmbeddingSaved<T> saved, int n, int w) : IDisposable
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        private readonly DeviceMatrix<T> _in = DeviceMatrix<T>.Allocate(device, w, n), _out = DeviceMatrix<T>.Allocate(device, w, n);
        private readonly T[] _staged = new T[(long)w * n];
        private readonly double[] _mv = new double[(long)n * w];
        private readonly double[] _s = AffinityMath.InvSqrtDegrees(saved.Degrees);
        private readonly int _chunks = (n + Solvers.BlockRows.Chunk - 1) / Solvers.BlockRows.Chunk;

        public double[] Multiply(double[] v)
        {
            int width = (int)(v.LongLength / n);
            Parallel.For(0, _chunks, ch =>
            {
                for (int i = ch * Solvers.BlockRows.Chunk, end = Math.Min(n, i + Solvers.BlockRows.Chunk); i < end; i++)
                    for (int c = 0; c < width; c++)
                        _staged[(long)c * n + i] = T.CreateChecked(_s[i] * v[(long)i * width + c]);
            });
            _in.Storage.Upload(_staged.AsSpan(0, (int)((long)width * n)), 0);
            device.Backend.SymmetricProduct(saved.W.Value, _in.RowRange(0, width), _out.RowRange(0, width));
            _out.Storage.Download(_staged.AsSpan(0, (int)((long)width * n)), 0);
            var mv = width == w ? _mv : new double[(long)n * width];
            Parallel.For(0, _chunks, ch =>
            {
                for (int i = ch * Solvers.BlockRows.Chunk, end = Math.Min(n, i + Solvers.BlockRows.Chunk); i < end; i++)
                    for (int c = 0; c < width; c++)
                        mv[(long)i * width + c] = _s[i] * double.CreateChecked(_staged[(long)c * n + i]) + saved.Shift * v[(long)i * width + c];
            });
            return mv;
        }

        public void Dispose()
        {
            _in.Dispose();
            _out.Dispose();
        }
    }

    /// <summary>The report with the affinity phase (since <paramref name="affinityStart"/>) and the whole rule (since <paramref name="start"/>) timed.</summary>
    private static EigenGradientReport WithTimes(EigenGradientReport report, long affinityStart, long start) =>
        report with
        {
            Timings = report.Timings! with
            {
                AffinityMs = Stopwatch.GetElapsedTime(affinityStart).TotalMilliseconds,
                TotalMs = Stopwatch.GetElapsedTime(start).TotalMilliseconds,
            },
        };

    // ---- top-k eigenpairs -------------------------------------------------------------------------------

    /// <summary>Outputs U (n×k, columns with sum ≥ 0) and λ (1×k, descending, shift removed).</summary>
    public static (Variable<T> u, Variable<T> lambda, TopKSaved saved, LanczosReport report) TopK<T>(Tape<T> tape, Variable<T> m, LanczosSettings lanczos,
        EigenBackwardSettings backward, Action<string>? log = null) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(lanczos);
        ArgumentNullException.ThrowIfNull(backward);
        var saved = SolveTopK(tape.Device, m.Value, lanczos, backward, log, out var outputs, out var report);
        var outs = tape.Record("top-k-eigen", [m], outputs, e => TopKBackward(e, saved));
        return (outs[0], outs[1], saved, report);
    }

    /// <summary>Lanczos on M; the outputs to record are U (n×k, columns with sum ≥ 0) and λ (1×k, shift removed).</summary>
    private static TopKSaved SolveTopK<T>(ComputeDevice device, DeviceMatrix<T> m, LanczosSettings lanczos, EigenBackwardSettings backward,
        Action<string>? log, out DeviceMatrix<T>[] outputs, out LanczosReport report)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int k = lanczos.EigenvectorCount;
        (double[] theta, T[] vectors, report, double next) = BlockLanczos<T>.SolveWithNext(device, m, k, lanczos.Tolerance, lanczos.Seed, lanczos.MaxBlockProducts, log);
        var lambda = theta.Select(v => T.CreateChecked(v - lanczos.Shift)).ToArray();
        outputs = [DeviceMatrix<T>.Upload(device, EigenColumns.Of(vectors, m.Rows, k)), DeviceMatrix<T>.Upload(device, lambda, 1, k)];
        return new TopKSaved(theta, report.Residuals, next, backward);
    }

    /// <summary>M̄ += ½(Y·Uᵀ + U·Yᵀ) from <see cref="EigenBackward"/>; the diagnostics go to the saved report.</summary>
    public static void TopKBackward<T>(TapeEntry<T> e, TopKSaved saved) where T : unmanaged, IFloatingPointIeee754<T>
    {
        long start = Stopwatch.GetTimestamp();
        var (mv, uv, lv) = (e.Inputs[0], e.Outputs[0], e.Outputs[1]);
        int n = uv.Rows, k = uv.Cols;
        double[] u = uv.Host;
        var m = mv.Host;
        var (y, report) = saved.Backward(v => SimdKernels.SquareTimes(m, n, v, v.Length / n), u, uv.Grad, lv.Grad, n, k);
        long affinityStart = Stopwatch.GetTimestamp();
        var (a, b) = NcutBackward.AdjointFactors(y, u, n, k);
        SimdKernels.AccumulateRowDots(a, b, n, 2 * k, mv.GradForAccumulation());
        saved.Publish(WithTimes(report, affinityStart, start));
        ThrowIfNotFinite(mv.GradForAccumulation(), "top-k-eigen", "M");
    }
}
