// EigenBackward: adjoint of the top-k eigenpairs without the full spectrum (in-subspace F term + block CG for the rest), float64 on the host (the products M·V by a delegate).
using System.Diagnostics;

namespace NcutKernels.Solvers;

/// <summary>
/// Given M·U = U·Λ (top k, orthonormal U) and adjoints Ū, λ̄, returns Y with the symmetric adjoint
/// M̄ = ½(Y·Uᵀ + U·Yᵀ), Y = U·C + Ξ (docs/MATH.md):
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

    /// <param name="multiply">V ↦ M·V for n×w row-major V, w = V.Length / n ≤ k (fewer columns once some systems converged; M symmetric); the result is read before the next call, so it may be a reused buffer.</param>
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
        var (y, reports) = SolveBatch(multiply, u, lambda, [(uBar, lambdaBar)], n, k, cgTolerance, maxIterations, residuals, next);
        return (y[0], reports[0]);
    }

    /// <summary>
    /// <see cref="Solve"/> for several cotangents (Ū_c, λ̄_c) of the same eigenpairs at once: the in-subspace term per cotangent,
    /// then one block CG over all k·C systems in lockstep — each iteration one product M·V with V n×(k·C), the C blocks side by
    /// side — so the products read M once for every cotangent. Returns Y_c and a report per cotangent (the iterations and
    /// products are the shared run's; residual and stopped systems are the cotangent's own). <paramref name="multiply"/> takes
    /// V n×w row-major, w = V.Length / n ≤ k·C (the columns of the systems still iterating); <paramref name="lanes"/> holds (Ū_c or null, λ̄_c or null) per cotangent; the other parameters are
    /// <see cref="Solve"/>'s.
    /// </summary>
    public static (double[][] y, EigenGradientReport[] reports) SolveBatch(Func<double[], double[]> multiply, double[] u, double[] lambda,
        IReadOnlyList<(double[]? UBar, double[]? LambdaBar)> lanes, int n, int k, double cgTolerance, int maxIterations, double[]? residuals = null,
        double next = double.NaN)
    {
        long start = Stopwatch.GetTimestamp();
        int count = lanes.Count, width = k * count;
        var rows = new BlockRows(n, k);
        var subspace = lanes.Select(l => Subspace(rows, u, lambda, l.UBar, l.LambdaBar, k)).ToArray();
        var y = new double[count][];
        for (int c = 0; c < count; c++)
        {
            y[c] = new double[n * k];
            rows.AddProduct(y[c], u, subspace[c].C, 1);
        }
        long cgStart = Stopwatch.GetTimestamp();
        bool anyBar = lanes.Any(l => l.UBar is not null);
        var cg = anyBar
            ? SolveOutOfSubspace(multiply, new BlockRows(n, k, width), u, Repeat(lambda, count), Stack(lanes, n, k), n, width, cgTolerance, maxIterations)
            : new CgResult(new double[n * width], 0, 0, new double[width], new bool[width], 0);
        double cgMs = Stopwatch.GetElapsedTime(cgStart).TotalMilliseconds;
        var reports = new EigenGradientReport[count];
        double totalMs = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        for (int c = 0; c < count; c++)
        {
            for (int i = 0; i < n; i++)
                for (int j = 0; j < k; j++)
                    y[c][i * k + j] += cg.Xi[i * width + c * k + j];
            double residual = 0;
            int indefinite = 0;
            for (int j = 0; j < k; j++)
            {
                residual = Math.Max(residual, cg.Residuals[c * k + j]);
                indefinite += cg.Curvature[c * k + j] ? 1 : 0;
            }
            var sub = subspace[c];
            double ratio = residuals is null ? double.NaN : ResidualGapRatio(residuals, lambda, next, sub.RotationDependent, k);
            reports[c] = new EigenGradientReport(cg.Iterations, cg.Products, residual, residual <= cgTolerance, indefinite,
                k > 1 ? sub.SmallestGap : double.PositiveInfinity, lambda[k - 1] - next, ratio, sub.RotationDependent, sub.Broadened)
            {
                Timings = new GradientTimings(totalMs - cgMs, cgMs, cg.ProductMs, 0, totalMs),
            };
        }
        return (y, reports);
    }

    /// <summary>The in-subspace coefficients C = diag(λ̄) + F∘skew(UᵀŪ) of one cotangent, and what the report says of them.</summary>
    private sealed record SubspaceTerm(double[] C, bool RotationDependent, double SmallestGap, int Broadened);

    private static SubspaceTerm Subspace(BlockRows rows, double[] u, double[] lambda, double[]? uBar, double[]? lambdaBar, int k)
    {
        var kMat = uBar is null ? new double[k * k] : rows.TransposeTimes(u, uBar);
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
        return new SubspaceTerm(c, rotationDependent, smallestGap, broadened);
    }

    /// <summary>λ repeated for each of <paramref name="count"/> side-by-side blocks.</summary>
    private static double[] Repeat(double[] lambda, int count) => Enumerable.Range(0, count).SelectMany(_ => lambda).ToArray();

    /// <summary>The cotangents Ū_c side by side as one n×(k·C) block (zeros for a cotangent without Ū).</summary>
    private static double[] Stack(IReadOnlyList<(double[]? UBar, double[]? LambdaBar)> lanes, int n, int k)
    {
        int width = k * lanes.Count;
        var b = new double[n * width];
        for (int c = 0; c < lanes.Count; c++)
            if (lanes[c].UBar is { } bar)
                for (int i = 0; i < n; i++)
                    Array.Copy(bar, i * k, b, i * width + c * k, k);
        return b;
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
    /// Ξ (n×w), CG iterations, all block products, each system's true relative residual, whether each system stopped on
    /// non-positive curvature, milliseconds spent in the block products.
    /// </summary>
    private sealed record CgResult(double[] Xi, int Iterations, int Products, double[] Residuals, bool[] Curvature, double ProductMs);

    private enum CgState { Active, Converged, Curvature }

    /// <summary>
    /// Block CG for P(λ_j − M)P ξ_j = P ū_j, j = 1..k (k here the block's width: every system of every cotangent), in lockstep
    /// (one block product per iteration), then the true
    /// residual; systems whose recursive residual met the tolerance but whose true one did not restart from it.
    /// The n×k work arrays are allocated once; <paramref name="multiply"/>'s result is read before its next call.
    /// </summary>
    private static CgResult SolveOutOfSubspace(Func<double[], double[]> multiply, BlockRows rows, double[] u, double[] lambda, double[] uBar,
        int n, int k, double tol, int maxIterations)
    {
        int products = 0;
        double productMs = 0;
        var av = new double[n * k];
        // A_j·v_j for every column: P(λ_j·v_j − M·v_j), one block product, into av. Once some systems have stopped, only the
        // columns still iterating are multiplied, shifted and projected (packed side by side: each column's arithmetic is its
        // own, so no value of theirs changes); the stopped columns of av keep their last values, which their zero step never reads.
        int basis = u.Length / n;
        double[] Apply(double[] v, CgState[]? state)
        {
            var columns = state is null ? null : Enumerable.Range(0, k).Where(j => state[j] == CgState.Active).ToArray();
            if (columns is null || columns.Length == k)
            {
                rows.ShiftMinus(v, lambda, Multiply(v), av);
                rows.Project(av, u);
                return av;
            }
            int w = columns.Length;
            var packed = new double[n * w];
            for (int i = 0; i < n; i++)
                for (int q = 0; q < w; q++)
                    packed[i * w + q] = v[i * k + columns[q]];
            var packedRows = new BlockRows(n, basis, w);
            var shifted = new double[n * w];
            packedRows.ShiftMinus(packed, columns.Select(j => lambda[j]).ToArray(), Multiply(packed), shifted);
            packedRows.Project(shifted, u);
            for (int i = 0; i < n; i++)
                for (int q = 0; q < w; q++)
                    av[i * k + columns[q]] = shifted[i * w + q];
            return av;
        }

        double[] Multiply(double[] v)
        {
            long t0 = Stopwatch.GetTimestamp();
            var mv = multiply(v);
            productMs += Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            products++;
            return mv;
        }

        var b = (double[])uBar.Clone();
        rows.Project(b, u);
        var x = new double[n * k];
        var r = (double[])b.Clone();
        var p = (double[])r.Clone();
        var bb = rows.ColumnDots(b, b);
        var rr = (double[])bb.Clone();
        var target = bb.Select(v => tol * tol * v).ToArray();
        var state = bb.Select(v => v == 0 ? CgState.Converged : CgState.Active).ToArray();
        var lastTrue = (double[])bb.Clone();
        var trueR = new double[n * k];
        var alpha = new double[k];
        var beta = new double[k];
        var step = new bool[k];
        double[] trueRr;
        int it = 0, restarts = 0;
        while (true)
        {
            for (; it < maxIterations && state.Contains(CgState.Active); it++)
            {
                var ap = Apply(p, state);
                var pap = rows.ColumnDots(p, ap);
                for (int j = 0; j < k; j++)
                {
                    alpha[j] = 0;
                    if (state[j] != CgState.Active)
                        continue;
                    double a = rr[j] / pap[j];
                    if (!(pap[j] > 0) || !double.IsFinite(a))
                        state[j] = CgState.Curvature; // pᵀAp ≤ 0: the operator is not positive definite; keep ξ_j as it is
                    else
                        alpha[j] = a;
                }
                var rrNew = rows.Step(x, r, p, ap, alpha);
                for (int j = 0; j < k; j++)
                {
                    beta[j] = 0;
                    step[j] = false;
                    if (state[j] != CgState.Active)
                        continue;
                    if (rrNew[j] <= target[j])
                        state[j] = CgState.Converged;
                    beta[j] = rrNew[j] / rr[j];
                    rr[j] = rrNew[j];
                    step[j] = true;
                }
                rows.NewDirections(p, r, beta, step);
            }

            // The true residual b − A·ξ: the recursive one drifts from it (most with float32 products).
            trueRr = rows.Difference(b, Apply(x, null), trueR);
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
        rows.Project(x, u);
        var relative = new double[k];
        for (int j = 0; j < k; j++)
            relative[j] = bb[j] > 0 ? Math.Sqrt(trueRr[j] / bb[j]) : 0;
        return new CgResult(x, it, products, relative, state.Select(s => s == CgState.Curvature).ToArray(), productMs);
    }
}
