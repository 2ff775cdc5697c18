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
/// </summary>
internal static class EigenBackward
{
    /// <summary>δ: kept eigenvalues closer than this are treated as degenerate.</summary>
    public const double DegenerateGap = 1e-8;

    /// <summary>‖skew(K)‖ below this fraction of ‖K‖ counts as a rotation-invariant loss.</summary>
    public const double SkewTolerance = 1e-10;

    /// <param name="multiply">V ↦ M·V for n×k row-major V (M symmetric).</param>
    /// <param name="u">U, n×k row-major.</param>
    /// <param name="lambda">λ (k), eigenvalues of M itself.</param>
    /// <param name="uBar">Ū, n×k, or null.</param>
    /// <param name="lambdaBar">λ̄ (k), or null.</param>
    /// <param name="n">n.</param>
    /// <param name="k">k.</param>
    /// <param name="cgTolerance">Relative residual at which CG stops.</param>
    /// <param name="maxIterations">CG iteration cap.</param>
    public static (double[] y, EigenGradientReport report) Solve(Func<double[], double[]> multiply, double[] u, double[] lambda, double[]? uBar, double[]? lambdaBar,
        int n, int k, double cgTolerance, int maxIterations)
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

        var y = new double[n * k];
        AddProduct(y, u, c, 1, n, k);
        var (xi, iterations, residual) = uBar is null ? (new double[n * k], 0, 0.0) : SolveOutOfSubspace(multiply, u, lambda, uBar, n, k, cgTolerance, maxIterations);
        for (int i = 0; i < y.Length; i++)
            y[i] += xi[i];
        return (y, new EigenGradientReport(iterations, residual, residual <= cgTolerance, k > 1 ? smallestGap : double.PositiveInfinity,
            rotationDependent, broadened));
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

    /// <summary>Block CG for P(λ_j − M)P ξ_j = P ū_j, j = 1..k, in lockstep.</summary>
    private static (double[] xi, int iterations, double residual) SolveOutOfSubspace(Func<double[], double[]> multiply, double[] u, double[] lambda, double[] uBar,
        int n, int k, double tol, int maxIterations)
    {
        var r = (double[])uBar.Clone();
        Project(r, u, n, k);
        var x = new double[n * k];
        var p = (double[])r.Clone();
        var rr = ColumnDots(r, r, n, k);
        var target = rr.Select(v => tol * tol * v).ToArray();
        var done = rr.Select((v, j) => v <= target[j] || v == 0).ToArray();
        int it = 0;
        for (; it < maxIterations && done.Contains(false); it++)
        {
            // ap_j = P(λ_j·p_j − M·p_j): one product with M for the whole block.
            var mp = multiply(p);
            var ap = new double[n * k];
            for (int i = 0; i < n; i++)
                for (int j = 0; j < k; j++)
                    ap[i * k + j] = lambda[j] * p[i * k + j] - mp[i * k + j];
            Project(ap, u, n, k);
            var pap = ColumnDots(p, ap, n, k);
            var alpha = new double[k];
            for (int j = 0; j < k; j++)
            {
                if (done[j])
                    continue;
                if (!(pap[j] > 0))
                {
                    done[j] = true; // breakdown: the operator is not positive on this direction (gap ≤ 0)
                    continue;
                }
                alpha[j] = rr[j] / pap[j];
            }
            for (int i = 0; i < n; i++)
                for (int j = 0, o = i * k; j < k; j++)
                {
                    x[o + j] += alpha[j] * p[o + j];
                    r[o + j] -= alpha[j] * ap[o + j];
                }
            var rrNew = ColumnDots(r, r, n, k);
            var beta = new double[k];
            var wasDone = (bool[])done.Clone();
            for (int j = 0; j < k; j++)
            {
                if (done[j])
                    continue;
                if (rrNew[j] <= target[j])
                    done[j] = true;
                beta[j] = rrNew[j] / rr[j];
                rr[j] = rrNew[j];
            }
            for (int i = 0; i < n; i++)
                for (int j = 0, o = i * k; j < k; j++)
                    if (!wasDone[j])
                        p[o + j] = r[o + j] + beta[j] * p[o + j];
        }
        // Report the true residual ‖P·ū − A·ξ‖ / ‖P·ū‖ of the returned solution.
        var rhs = (double[])uBar.Clone();
        Project(rhs, u, n, k);
        var mx = multiply(x);
        var res = new double[n * k];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < k; j++)
                res[i * k + j] = rhs[i * k + j] - (lambda[j] * x[i * k + j] - mx[i * k + j]);
        Project(res, u, n, k);
        var rn = ColumnDots(res, res, n, k);
        var bn = ColumnDots(rhs, rhs, n, k);
        double worst = 0;
        for (int j = 0; j < k; j++)
            if (bn[j] > 0)
                worst = Math.Max(worst, Math.Sqrt(rn[j] / bn[j]));
        return (x, it, worst);
    }

    /// <summary>v ← (I − U·Uᵀ)·v, twice (classical Gram–Schmidt is not enough in finite precision).</summary>
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
