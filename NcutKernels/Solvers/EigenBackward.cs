// EigenBackward: adjoint of the top-k eigenpairs without the full spectrum (in-subspace F term + block CG for the rest, deflated by the forward's next Ritz vectors), float64 on the host (the products M·V by a delegate).
namespace NcutKernels.Solvers;

/// <summary>
/// Given M·U = U·Λ (top k, orthonormal U) and adjoints Ū, λ̄, returns Y with the symmetric adjoint
/// M̄ = ½(Y·Uᵀ + U·Yᵀ), Y = U·C + Ξ (MATH.md):
/// C = diag(λ̄) + F∘skew(UᵀŪ), F_ij = 1/(λ_j − λ_i); Ξ = [ξ_j], ξ_j ∈ range(P) solving
/// P(λ_j·I − M)P·ξ_j = P·ū_j by conjugate gradients, all k systems in lockstep (one M·[p_1…p_k] per iteration).
/// Near-equal kept eigenvalues: when UᵀŪ is symmetric the loss only sees span(U) and F drops out; otherwise
/// pairs closer than <see cref="DegenerateGap"/> use F_ij = Δ/(Δ² + δ²) (Lorentzian broadening) and the
/// report says so. Nothing here divides by a gap smaller than δ, so the result is finite for finite input.
/// <para>
/// Deflation: the forward pass's next Ritz vectors (a <see cref="RitzTail"/>) span W; CG then runs as deflated CG
/// (Saad, Yeung, Erhel and Guyomarc'h 2000): a Galerkin start x₀ = W·(WᵀAW)⁻¹·Wᵀb and search directions kept
/// A-orthogonal to W. It converges to the same exact solution whatever the quality of W (the Ritz vectors only remove
/// the small eigenvalues λ_j − μ from what CG sees), at the cost of one product with the n×p block W and 3·n·p·k flops an iteration.
/// </para>
/// <para>
/// Robustness: the operator is positive definite only when the forward eigenpairs are exact enough that no unkept
/// eigenvalue lies above λ_j. A direction of non-positive curvature (pᵀAp ≤ 0) stops that system where it is (as
/// truncated CG does) and the report counts it; when the recursively updated residual meets the tolerance but the
/// true one does not, CG restarts from the true residual as long as each restart cuts it by half.
/// </para>
/// </summary>
internal static class EigenBackward
{
    /// <summary>δ: kept eigenvalues closer than this are treated as degenerate.</summary>
    public const double DegenerateGap = 1e-8;

    /// <summary>‖skew(K)‖ below this fraction of ‖K‖ counts as a rotation-invariant loss.</summary>
    public const double SkewTolerance = 1e-10;

    /// <summary>Restarts from the true residual at most.</summary>
    private const int MaxRestarts = 8;

    /// <summary>A restart is earned only when the true residual fell below this fraction of its value at the previous check.</summary>
    private const double RestartGain = 0.5;

    /// <param name="multiply">V ↦ M·V for n×k row-major V (M symmetric).</param>
    /// <param name="u">U, n×k row-major.</param>
    /// <param name="lambda">λ (k), eigenvalues of M itself.</param>
    /// <param name="uBar">Ū, n×k, or null.</param>
    /// <param name="lambdaBar">λ̄ (k), or null.</param>
    /// <param name="n">n.</param>
    /// <param name="k">k.</param>
    /// <param name="cgTolerance">Relative residual at which CG stops.</param>
    /// <param name="maxIterations">CG iteration cap.</param>
    /// <param name="residuals">‖M·u_j − λ_j·u_j‖ of the forward pass (k), or null when unknown.</param>
    /// <param name="tail">The forward pass's next Ritz pairs (eigenvalues of M itself), or null.</param>
    /// <param name="deflate">How many of <paramref name="tail"/>'s vectors deflate the CG (0: plain CG).</param>
    public static (double[] y, EigenGradientReport report) Solve(Func<double[], double[]> multiply, double[] u, double[] lambda, double[]? uBar, double[]? lambdaBar,
        int n, int k, double cgTolerance, int maxIterations, double[]? residuals = null, RitzTail? tail = null, int deflate = 0)
    {
        var kMat = uBar is null ? new double[k * k] : TransposeTimes(u, k, uBar, k, n);
        double kNorm = Math.Sqrt(kMat.Sum(v => v * v)), skewNorm = 0;
        for (int a = 0; a < k; a++)
            for (int b = 0; b < k; b++)
                skewNorm += Math.Pow(0.5 * (kMat[a * k + b] - kMat[b * k + a]), 2);
        bool rotationDependent = Math.Sqrt(skewNorm) > SkewTolerance * Math.Max(kNorm, double.Epsilon);

        var c = new double[k * k];
        double smallestGap = double.PositiveInfinity;
        int broadened = 0;
        for (int a = 0; a < k; a++)
        {
            c[a * k + a] = lambdaBar?[a] ?? 0;
            for (int b = 0; b < k; b++)
            {
                if (a == b)
                    continue;
                double delta = lambda[b] - lambda[a];
                smallestGap = Math.Min(smallestGap, Math.Abs(delta));
                if (!rotationDependent)
                    continue;
                double skew = 0.5 * (kMat[a * k + b] - kMat[b * k + a]);
                double f;
                if (Math.Abs(delta) >= DegenerateGap)
                    f = 1 / delta;
                else
                {
                    f = delta / (delta * delta + DegenerateGap * DegenerateGap);
                    if (a < b)
                        broadened++;
                }
                c[a * k + b] = f * skew;
            }
        }
        double next = tail is { Count: > 0 } ? tail.Values[0] : double.NaN;
        double ratio = residuals is null ? double.NaN : ResidualGapRatio(residuals, lambda, next, rotationDependent, k);

        var y = new double[n * k];
        AddProduct(y, k, u, k, c, 1, n);
        var cg = uBar is null ? new CgResult(new double[n * k], 0, 0, 0, 0, 0) : new DeflatedCg(multiply, u, lambda, uBar, n, k, tail, deflate).Run(cgTolerance, maxIterations);
        for (int i = 0; i < y.Length; i++)
            y[i] += cg.Xi[i];
        return (y, new EigenGradientReport(cg.Iterations, cg.Products, cg.Residual, cg.Residual <= cgTolerance, cg.Indefinite, cg.Deflated,
            k > 1 ? smallestGap : double.PositiveInfinity, lambda[k - 1] - next, ratio, rotationDependent, broadened));
    }

    /// <summary>
    /// max_j ‖M·u_j − λ_j·u_j‖ / g_j, g_j the distance from λ_j to the first unkept Ritz value and, when the loss sees
    /// the basis inside span(U), to the other kept eigenvalues: the Davis–Kahan bound on sin∠(u_j, exact eigenvector).
    /// </summary>
    private static double ResidualGapRatio(double[] residuals, double[] lambda, double next, bool rotationDependent, int k)
    {
        double worst = 0;
        for (int j = 0; j < k; j++)
        {
            double g = double.IsNaN(next) ? double.PositiveInfinity : lambda[j] - next;
            if (rotationDependent)
                for (int i = 0; i < k; i++)
                    if (i != j)
                        g = Math.Min(g, Math.Abs(lambda[j] - lambda[i]));
            worst = Math.Max(worst, g > 0 ? residuals[j] / g : double.PositiveInfinity);
        }
        return worst;
    }

    /// <summary>
    /// Row factors of the symmetric adjoint: M̄ = ½(Y·Uᵀ + U·Yᵀ) has M̄_ij = a_i·b_j with a_i = ½[y_i, u_i] and
    /// b_j = [u_j, y_j] (rows of length 2k, row-major n×2k).
    /// </summary>
    public static (double[] a, double[] b) AdjointFactors(double[] y, double[] u, int n, int k)
    {
        int k2 = 2 * k;
        var a = new double[n * k2];
        var b = new double[n * k2];
        for (int i = 0; i < n; i++)
            for (int c = 0; c < k; c++)
            {
                a[i * k2 + c] = 0.5 * y[i * k + c];
                a[i * k2 + k + c] = 0.5 * u[i * k + c];
                b[i * k2 + c] = u[i * k + c];
                b[i * k2 + k + c] = y[i * k + c];
            }
        return (a, b);
    }

    /// <summary>Ξ (n×k), CG iterations, all block products, the largest true relative residual, systems stopped on non-positive curvature, deflation vectors used.</summary>
    private sealed record CgResult(double[] Xi, int Iterations, int Products, double Residual, int Indefinite, int Deflated);

    /// <summary>
    /// Block (lockstep) deflated CG for A_j·ξ_j = b_j, A_j = P(λ_j − M)P, b_j = P·ū_j. With W the orthonormal deflation
    /// basis (W ⊥ U) and G = P·M·W, A_j·W = λ_j·W − G and H_j = WᵀA_jW = λ_j·I − WᵀG, so nothing beyond the one product
    /// M·G-setup and the per-iteration block product is needed.
    /// </summary>
    private sealed class DeflatedCg
    {
        private readonly Func<double[], double[]> _multiply;
        private readonly double[] _u, _lambda, _b;
        private readonly int _n, _k;
        private int _products;

        // Deflation: W and G side by side (n×2q, row-major), and per system H_j⁻¹ (q×q), null where H_j is not positive definite.
        private readonly int _q;
        private readonly double[] _wg = [];
        private readonly double[]?[] _hInv;

        public DeflatedCg(Func<double[], double[]> multiply, double[] u, double[] lambda, double[] uBar, int n, int k, RitzTail? tail, int deflate)
        {
            _multiply = multiply;
            _u = u;
            _lambda = lambda;
            _n = n;
            _k = k;
            _b = (double[])uBar.Clone();
            Project(_b, k);
            _hInv = new double[]?[k];
            int q = tail is null ? 0 : Math.Min(deflate, tail.Count);
            if (q == 0)
                return;
            var w = new double[n * q];
            for (int i = 0; i < n; i++)
                Array.Copy(tail!.Vectors, i * tail.Count, w, i * q, q);
            Project(w, q);
            (w, q) = Orthonormalize(w, q, n);
            if (q == 0)
                return;
            var g = MultiplyWide(w, q);
            Project(g, q);
            _q = q;
            _wg = new double[n * 2 * q];
            for (int i = 0; i < n; i++)
            {
                Array.Copy(w, i * q, _wg, i * 2 * q, q);
                Array.Copy(g, i * q, _wg, i * 2 * q + q, q);
            }
            var wtg = TransposeTimes(w, q, g, q, n);
            for (int j = 0; j < k; j++)
            {
                var h = new double[q, q];
                for (int a = 0; a < q; a++)
                    for (int c = 0; c < q; c++)
                        h[a, c] = (a == c ? lambda[j] : 0) - 0.5 * (wtg[a * q + c] + wtg[c * q + a]);
                var (values, vectors) = SymmetricEigen.Decompose(h);
                if (!(values[q - 1] > 0))
                    continue; // A_j is not positive definite on span(W): system j runs undeflated and CG reports the curvature.
                var inv = new double[q * q];
                for (int a = 0; a < q; a++)
                    for (int c = 0; c < q; c++)
                    {
                        double s = 0;
                        for (int e = 0; e < q; e++)
                            s += vectors[a, e] * vectors[c, e] / values[e];
                        inv[a * q + c] = s;
                    }
                _hInv[j] = inv;
            }
        }

        private enum State { Active, Converged, Curvature }

        public CgResult Run(double tol, int maxIterations)
        {
            int n = _n, k = _k;
            var x = new double[n * k];
            var r = (double[])_b.Clone();
            var bb = ColumnDots(_b, _b);
            var target = bb.Select(v => tol * tol * v).ToArray();
            var state = bb.Select(v => v == 0 ? State.Converged : State.Active).ToArray();
            var all = Enumerable.Repeat(true, k).ToArray();
            Galerkin(x, r, all);
            var p = (double[])r.Clone();
            Deflate(p, r, all);
            var rr = ColumnDots(r, r);
            var checkedResidual = (double[])bb.Clone();
            double[] trueRr;
            int it = 0, restarts = 0;
            while (true)
            {
                for (; it < maxIterations && state.Contains(State.Active); it++)
                {
                    var ap = Apply(p);
                    var pap = ColumnDots(p, ap);
                    var alpha = new double[k];
                    for (int j = 0; j < k; j++)
                    {
                        if (state[j] != State.Active)
                            continue;
                        double a = rr[j] / pap[j];
                        if (!(pap[j] > 0) || !double.IsFinite(a))
                            state[j] = State.Curvature; // non-positive curvature: the operator is not positive definite here
                        else
                            alpha[j] = a;
                    }
                    for (int i = 0; i < n; i++)
                        for (int j = 0, o = i * k; j < k; j++)
                        {
                            x[o + j] += alpha[j] * p[o + j];
                            r[o + j] -= alpha[j] * ap[o + j];
                        }
                    // Rounding lets Wᵀr drift from 0, and directions A-orthogonal to W never reduce that part: CG's step
                    // lengths would then count a residual they cannot remove and diverge below it. Remove it every iteration.
                    Galerkin(x, r, state.Select(s => s == State.Active).ToArray());
                    var rrNew = ColumnDots(r, r);
                    var beta = new double[k];
                    var step = new bool[k];
                    for (int j = 0; j < k; j++)
                    {
                        if (state[j] != State.Active)
                            continue;
                        if (rrNew[j] <= target[j])
                            state[j] = State.Converged;
                        beta[j] = rrNew[j] / rr[j];
                        rr[j] = rrNew[j];
                        step[j] = true;
                    }
                    var d = new double[n * k];
                    Deflate(d, r, step);
                    for (int i = 0; i < n; i++)
                        for (int j = 0, o = i * k; j < k; j++)
                            if (step[j])
                                p[o + j] = d[o + j] + beta[j] * p[o + j];
                }

                // The true residual b − A·ξ: recursive residuals drift from it, most in float32 products.
                var ax = Apply(x);
                var trueR = new double[n * k];
                for (int e = 0; e < trueR.Length; e++)
                    trueR[e] = _b[e] - ax[e];
                trueRr = ColumnDots(trueR, trueR);
                for (int j = 0; j < k; j++)
                    if (!double.IsFinite(trueRr[j]))
                    {
                        for (int i = 0; i < n; i++)
                            x[i * k + j] = 0;
                        trueRr[j] = bb[j];
                        state[j] = State.Curvature;
                    }
                var again = new bool[k];
                for (int j = 0; j < k; j++)
                    again[j] = state[j] == State.Converged && trueRr[j] > target[j] && trueRr[j] <= RestartGain * RestartGain * checkedResidual[j];
                if (!again.Contains(true) || it >= maxIterations || restarts == MaxRestarts)
                    break;
                restarts++;
                for (int i = 0; i < n; i++)
                    for (int j = 0, o = i * k; j < k; j++)
                        if (again[j])
                            r[o + j] = trueR[o + j];
                Galerkin(x, r, again);
                var d0 = new double[n * k];
                Deflate(d0, r, again);
                var rr0 = ColumnDots(r, r);
                for (int j = 0; j < k; j++)
                    if (again[j])
                    {
                        state[j] = State.Active;
                        rr[j] = rr0[j];
                        checkedResidual[j] = trueRr[j];
                        for (int i = 0; i < n; i++)
                            p[i * k + j] = d0[i * k + j];
                    }
            }
            Project(x, k);
            double worst = 0;
            for (int j = 0; j < k; j++)
                if (bb[j] > 0)
                    worst = Math.Max(worst, Math.Sqrt(trueRr[j] / bb[j]));
            return new CgResult(x, it, _products, worst, state.Count(s => s == State.Curvature), _q);
        }

        /// <summary>A_j·v_j for every column: P(λ_j·v_j − M·v_j), one block product.</summary>
        private double[] Apply(double[] v)
        {
            var mv = _multiply(v);
            _products++;
            var av = new double[_n * _k];
            for (int i = 0; i < _n; i++)
                for (int j = 0; j < _k; j++)
                    av[i * _k + j] = _lambda[j] * v[i * _k + j] - mv[i * _k + j];
            Project(av, _k);
            return av;
        }

        /// <summary>
        /// For the columns in <paramref name="which"/> with a deflation space: x_j += W·y_j, r_j −= A_j·W·y_j with
        /// y_j = H_j⁻¹·Wᵀr_j, so that afterwards Wᵀr_j = 0.
        /// </summary>
        private void Galerkin(double[] x, double[] r, bool[] which)
        {
            if (_q == 0)
                return;
            int q = _q, q2 = 2 * q, k = _k;
            var proj = TransposeTimes(_wg, q2, r, k, _n);
            var coef = new double[q2 * k]; // rows 0..q: y (for W), rows q..2q: the same y (for G)
            for (int j = 0; j < k; j++)
            {
                if (!which[j] || _hInv[j] is not { } hInv)
                    continue;
                for (int a = 0; a < q; a++)
                {
                    double s = 0;
                    for (int e = 0; e < q; e++)
                        s += hInv[a * q + e] * proj[e * k + j];
                    coef[a * k + j] = s;
                }
            }
            var dx = new double[_n * k];
            AddProduct(dx, k, _wg, q2, coef, 1, _n);
            // A_j·W·y_j = λ_j·W·y_j − G·y_j
            for (int a = 0; a < q; a++)
                for (int j = 0; j < k; j++)
                    coef[(q + a) * k + j] = -coef[a * k + j];
            var dr = new double[_n * k];
            for (int a = 0; a < q; a++)
                for (int j = 0; j < k; j++)
                    coef[a * k + j] *= _lambda[j];
            AddProduct(dr, k, _wg, q2, coef, 1, _n);
            for (int e = 0; e < x.Length; e++)
            {
                x[e] += dx[e];
                r[e] -= dr[e];
            }
        }

        /// <summary>
        /// d_j = r_j − W·μ_j, μ_j = H_j⁻¹·(A_j·W)ᵀ·r_j = H_j⁻¹·(λ_j·Wᵀr_j − Gᵀr_j), for the columns in <paramref name="which"/>
        /// (plain d_j = r_j without a deflation space): the next search direction's part that is A_j-orthogonal to W.
        /// </summary>
        private void Deflate(double[] d, double[] r, bool[] which)
        {
            int q = _q, q2 = 2 * q, k = _k;
            for (int i = 0; i < _n; i++)
                for (int j = 0, o = i * k; j < k; j++)
                    if (which[j])
                        d[o + j] = r[o + j];
            if (q == 0)
                return;
            var proj = TransposeTimes(_wg, q2, r, k, _n);
            var coef = new double[q2 * k];
            for (int j = 0; j < k; j++)
            {
                if (!which[j] || _hInv[j] is not { } hInv)
                    continue;
                for (int a = 0; a < q; a++)
                {
                    double s = 0;
                    for (int e = 0; e < q; e++)
                        s += hInv[a * q + e] * (_lambda[j] * proj[e * k + j] - proj[(q + e) * k + j]);
                    coef[a * k + j] = -s;
                }
            }
            AddProduct(d, k, _wg, q2, coef, 1, _n);
        }

        /// <summary>M·V for n×q row-major V, k columns (zero-padded) per block product.</summary>
        private double[] MultiplyWide(double[] v, int q)
        {
            var mv = new double[_n * q];
            for (int first = 0; first < q; first += _k)
            {
                int width = Math.Min(_k, q - first);
                var block = new double[_n * _k];
                for (int i = 0; i < _n; i++)
                    Array.Copy(v, i * q + first, block, i * _k, width);
                var product = _multiply(block);
                _products++;
                for (int i = 0; i < _n; i++)
                    Array.Copy(product, i * _k, mv, i * q + first, width);
            }
            return mv;
        }

        /// <summary>v ← (I − U·Uᵀ)·v for n×width row-major v, twice (classical Gram–Schmidt is not enough in finite precision).</summary>
        private void Project(double[] v, int width)
        {
            for (int pass = 0; pass < 2; pass++)
                AddProduct(v, width, _u, _k, TransposeTimes(_u, _k, v, width, _n), -1, _n);
        }

        private double[] ColumnDots(double[] a, double[] b)
        {
            var d = new double[_k];
            for (int i = 0; i < _n; i++)
                for (int j = 0; j < _k; j++)
                    d[j] += a[i * _k + j] * b[i * _k + j];
            return d;
        }
    }

    /// <summary>
    /// An orthonormal basis of span(v) for n×q row-major v (Löwdin: v·V·S^-1/2 from the Gram matrix VSVᵀ), dropping
    /// directions below 1e-8 of the largest (a Ritz vector that was almost inside span(U)).
    /// </summary>
    private static (double[] w, int q) Orthonormalize(double[] v, int q, int n)
    {
        var gram = TransposeTimes(v, q, v, q, n);
        var g = new double[q, q];
        for (int a = 0; a < q; a++)
            for (int c = 0; c < q; c++)
                g[a, c] = gram[a * q + c];
        var (values, vectors) = SymmetricEigen.Decompose(g);
        int kept = values.Count(e => e > 1e-8 * values[0]);
        var h = new double[q * kept];
        for (int a = 0; a < q; a++)
            for (int e = 0; e < kept; e++)
                h[a * kept + e] = vectors[a, e] / Math.Sqrt(values[e]);
        var w = new double[n * kept];
        AddProduct(w, kept, v, q, h, 1, n);
        return (w, kept);
    }

    /// <summary>Rows per parallel chunk of the n×k products (fixed, so the sums run in the same order every time).</summary>
    private const int RowChunk = 512;

    /// <summary>Aᵀ·B (ka×kb, row-major) for n×ka row-major a and n×kb row-major b: row chunks in parallel, their partial sums added in chunk order.</summary>
    private static double[] TransposeTimes(double[] a, int ka, double[] b, int kb, int n)
    {
        int chunks = (n + RowChunk - 1) / RowChunk, size = ka * kb;
        var partial = new double[chunks * size];
        Parallel.For(0, chunks, ch =>
        {
            var h = partial.AsSpan(ch * size, size);
            for (int i = ch * RowChunk, end = Math.Min(n, i + RowChunk); i < end; i++)
                for (int r = 0; r < ka; r++)
                    Backends.SimdMath.MultiplyAdd<double>(b.AsSpan(i * kb, kb), a[i * ka + r], h.Slice(r * kb, kb));
        });
        var sum = new double[size];
        for (int ch = 0; ch < chunks; ch++)
            for (int e = 0; e < size; e++)
                sum[e] += partial[ch * size + e];
        return sum;
    }

    /// <summary>v += scale·A·h for n×kv row-major v, n×ka row-major a and ka×kv h, rows in parallel.</summary>
    private static void AddProduct(double[] v, int kv, double[] a, int ka, double[] h, double scale, int n) =>
        Parallel.For(0, (n + RowChunk - 1) / RowChunk, ch =>
        {
            for (int i = ch * RowChunk, end = Math.Min(n, i + RowChunk); i < end; i++)
                for (int r = 0; r < ka; r++)
                    Backends.SimdMath.MultiplyAdd<double>(h.AsSpan(r * kv, kv), scale * a[i * ka + r], v.AsSpan(i * kv, kv));
        });
}
