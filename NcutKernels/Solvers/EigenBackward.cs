// EigenBackward: adjoint of the top-k eigenpairs without the full spectrum (in-subspace F term + block CG for the rest), float64 on the host (the products M·V by a delegate).
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
    /// <param name="next">θ_{k+1}, the forward pass's first Ritz value below the kept ones (an eigenvalue of M itself), or NaN when unknown.</param>
    public static (double[] y, EigenGradientReport report) Solve(Func<double[], double[]> multiply, double[] u, double[] lambda, double[]? uBar, double[]? lambdaBar,
        int n, int k, double cgTolerance, int maxIterations, double[]? residuals = null, double next = double.NaN)
    {
        var kMat = uBar is null ? new double[k * k] : TransposeTimes(u, uBar, n, k);
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
        double ratio = residuals is null ? double.NaN : ResidualGapRatio(residuals, lambda, next, rotationDependent, k);

        var y = new double[n * k];
        AddProduct(y, u, c, 1, n, k);
        var cg = uBar is null ? new CgResult(new double[n * k], 0, 0, 0, 0) : SolveOutOfSubspace(multiply, u, lambda, uBar, n, k, cgTolerance, maxIterations);
        for (int i = 0; i < y.Length; i++)
            y[i] += cg.Xi[i];
        return (y, new EigenGradientReport(cg.Iterations, cg.Products, cg.Residual, cg.Residual <= cgTolerance, cg.Indefinite,
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

    /// <summary>Ξ (n×k), CG iterations, all block products, the largest true relative residual, systems stopped on non-positive curvature.</summary>
    private sealed record CgResult(double[] Xi, int Iterations, int Products, double Residual, int Indefinite);

    private enum CgState { Active, Converged, Curvature }

    /// <summary>
    /// Block CG for P(λ_j − M)P ξ_j = P ū_j, j = 1..k, in lockstep (one block product per iteration), then the true
    /// residual; systems whose recursive residual met the tolerance but whose true one did not restart from it.
    /// </summary>
    private static CgResult SolveOutOfSubspace(Func<double[], double[]> multiply, double[] u, double[] lambda, double[] uBar,
        int n, int k, double tol, int maxIterations)
    {
        int products = 0;
        // A_j·v_j for every column: P(λ_j·v_j − M·v_j), one block product.
        double[] Apply(double[] v)
        {
            var mv = multiply(v);
            products++;
            var av = new double[n * k];
            for (int i = 0; i < n; i++)
                for (int j = 0; j < k; j++)
                    av[i * k + j] = lambda[j] * v[i * k + j] - mv[i * k + j];
            Project(av, u, n, k);
            return av;
        }

        var b = (double[])uBar.Clone();
        Project(b, u, n, k);
        var x = new double[n * k];
        var r = (double[])b.Clone();
        var p = (double[])r.Clone();
        var bb = ColumnDots(b, b, n, k);
        var rr = (double[])bb.Clone();
        var target = bb.Select(v => tol * tol * v).ToArray();
        var state = bb.Select(v => v == 0 ? CgState.Converged : CgState.Active).ToArray();
        var lastTrue = (double[])bb.Clone();
        double[] trueRr;
        int it = 0, restarts = 0;
        while (true)
        {
            for (; it < maxIterations && state.Contains(CgState.Active); it++)
            {
                var ap = Apply(p);
                var pap = ColumnDots(p, ap, n, k);
                var alpha = new double[k];
                for (int j = 0; j < k; j++)
                {
                    if (state[j] != CgState.Active)
                        continue;
                    double a = rr[j] / pap[j];
                    if (!(pap[j] > 0) || !double.IsFinite(a))
                        state[j] = CgState.Curvature; // pᵀAp ≤ 0: the operator is not positive definite; keep ξ_j as it is
                    else
                        alpha[j] = a;
                }
                for (int i = 0; i < n; i++)
                    for (int j = 0, o = i * k; j < k; j++)
                    {
                        x[o + j] += alpha[j] * p[o + j];
                        r[o + j] -= alpha[j] * ap[o + j];
                    }
                var rrNew = ColumnDots(r, r, n, k);
                var beta = new double[k];
                var step = new bool[k];
                for (int j = 0; j < k; j++)
                {
                    if (state[j] != CgState.Active)
                        continue;
                    if (rrNew[j] <= target[j])
                        state[j] = CgState.Converged;
                    beta[j] = rrNew[j] / rr[j];
                    rr[j] = rrNew[j];
                    step[j] = true;
                }
                for (int i = 0; i < n; i++)
                    for (int j = 0, o = i * k; j < k; j++)
                        if (step[j])
                            p[o + j] = r[o + j] + beta[j] * p[o + j];
            }

            // The true residual b − A·ξ: the recursive one drifts from it (most with float32 products).
            var ax = Apply(x);
            var trueR = new double[n * k];
            for (int e = 0; e < trueR.Length; e++)
                trueR[e] = b[e] - ax[e];
            trueRr = ColumnDots(trueR, trueR, n, k);
            for (int j = 0; j < k; j++)
                if (!double.IsFinite(trueRr[j]))
                {
                    // Unreachable for finite input (every step is finite), but never hand NaN on: ξ_j = 0.
                    for (int i = 0; i < n; i++)
                        x[i * k + j] = 0;
                    trueRr[j] = bb[j];
                    state[j] = CgState.Curvature;
                }
            var again = new bool[k];
            for (int j = 0; j < k; j++)
                again[j] = state[j] == CgState.Converged && trueRr[j] > target[j] && trueRr[j] <= RestartGain * RestartGain * lastTrue[j];
            if (!again.Contains(true) || it >= maxIterations || restarts == MaxRestarts)
                break;
            restarts++;
            for (int j = 0; j < k; j++)
                if (again[j])
                {
                    state[j] = CgState.Active;
                    rr[j] = trueRr[j];
                    lastTrue[j] = trueRr[j];
                    for (int i = 0; i < n; i++)
                        r[i * k + j] = p[i * k + j] = trueR[i * k + j];
                }
        }
        Project(x, u, n, k);
        double worst = 0;
        for (int j = 0; j < k; j++)
            if (bb[j] > 0)
                worst = Math.Max(worst, Math.Sqrt(trueRr[j] / bb[j]));
        return new CgResult(x, it, products, worst, state.Count(s => s == CgState.Curvature));
    }

    /// <summary>v ← (I − U·Uᵀ)·v for n×k row-major v, twice (classical Gram–Schmidt is not enough in finite precision).</summary>
    private static void Project(double[] v, double[] u, int n, int k)
    {
        for (int pass = 0; pass < 2; pass++)
            AddProduct(v, u, TransposeTimes(u, v, n, k), -1, n, k);
    }

    /// <summary>Rows per parallel chunk of the n×k products (fixed, so the sums run in the same order every time).</summary>
    private const int RowChunk = 512;

    /// <summary>Aᵀ·B (k×k) for n×k row-major a, b: row chunks in parallel, their partial sums added in chunk order.</summary>
    private static double[] TransposeTimes(double[] a, double[] b, int n, int k)
    {
        int chunks = (n + RowChunk - 1) / RowChunk, kk = k * k;
        var partial = new double[chunks * kk];
        Parallel.For(0, chunks, ch =>
        {
            var h = partial.AsSpan(ch * kk, kk);
            for (int i = ch * RowChunk, end = Math.Min(n, i + RowChunk); i < end; i++)
                for (int r = 0; r < k; r++)
                    Backends.SimdMath.MultiplyAdd<double>(b.AsSpan(i * k, k), a[i * k + r], h.Slice(r * k, k));
        });
        var sum = new double[kk];
        for (int ch = 0; ch < chunks; ch++)
            for (int e = 0; e < kk; e++)
                sum[e] += partial[ch * kk + e];
        return sum;
    }

    /// <summary>v += scale·U·h for n×k row-major v, u and k×k h, rows in parallel.</summary>
    private static void AddProduct(double[] v, double[] u, double[] h, double scale, int n, int k) =>
        Parallel.For(0, (n + RowChunk - 1) / RowChunk, ch =>
        {
            for (int i = ch * RowChunk, end = Math.Min(n, i + RowChunk); i < end; i++)
                for (int a = 0; a < k; a++)
                    Backends.SimdMath.MultiplyAdd<double>(h.AsSpan(a * k, k), scale * u[i * k + a], v.AsSpan(i * k, k));
        });

    private static double[] ColumnDots(double[] a, double[] b, int n, int k)
    {
        var d = new double[k];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < k; j++)
                d[j] += a[i * k + j] * b[i * k + j];
        return d;
    }
}
