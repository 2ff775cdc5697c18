// NcutBackward: the fused backward of affinity (RBF or cosine) → normalization from the low-rank M̄ = ½(Y·Uᵀ + U·Yᵀ): X̄ += … without forming W̄ or M̄ (managed, float64; the twin of Kernels/NcutBackwardKernels).
using NcutKernels.Core;

namespace NcutKernels.Backends.Managed;

/// <summary>
/// Chain rule from the eigen adjoint in low-rank form back to the features, in two passes over (i, j)
/// (docs/MATH.md): with s = d^-1/2 and M̄_ij = ½(y_i·u_j + u_i·y_j),
/// pass 1: t_i = Σ_j M̄_ij·W_ij·s_j = ½[y_i·(W(s∘U))_i + u_i·(W(s∘Y))_i], d̄_i = −d_i^(−3/2)·t_i;
/// pass 2 (RBF): S_ij = (W̄_ij + W̄_ji)·W_ij = (2·M̄_ij·s_i·s_j + d̄_i + d̄_j)·W_ij and
/// X̄_i += −(1/σ²)·(Σ_j S_ij·x_i − Σ_j S_ij·x_j); (cosine) the same S on the slope ∂W/∂(x̂_i·x̂_j), then through the unit rows.
/// O(n²·(k + d)) work, O(n·(d + k)) extra memory.
/// </summary>
internal static class NcutBackward
{
    /// <summary>
    /// X̄ += the backward of the affinity of <paramref name="kind"/> → normalization, from Y (n×k, the eigen adjoint's
    /// solution) and U (n×k): <see cref="AccumulateRbf"/> or <see cref="AccumulateCosine"/> after the shared first pass.
    /// </summary>
    /// <param name="kind">The affinity W is of.</param>
    /// <param name="x">X, n×d row-major.</param>
    /// <param name="w">W, n×n row-major, symmetric (the affinity of X).</param>
    /// <param name="degrees">d = W·1 (n).</param>
    /// <param name="y">Y, n×k (the eigen adjoint).</param>
    /// <param name="u">U, n×k.</param>
    /// <param name="sigma">σ of the affinity (held constant).</param>
    /// <param name="n">Points.</param>
    /// <param name="d">Features.</param>
    /// <param name="k">Eigenvectors.</param>
    /// <param name="gx">X̄, n×d, accumulated (+=).</param>
    /// <param name="rows">The rows of X̄ to accumulate, distinct (null: every row); the work of pass 2 is proportional to their count.</param>
    public static void Accumulate(AffinityKind kind, double[] x, double[] w, double[] degrees, double[] y, double[] u, double sigma,
        int n, int d, int k, double[] gx, int[]? rows = null) =>
        Accumulate(kind, x, w, degrees, [y], u, sigma, n, d, k, [gx], [rows]);

    /// <summary>
    /// <see cref="Accumulate(AffinityKind, double[], double[], double[], double[], double[], double, int, int, int, double[], int[])"/>
    /// for several adjoints Y_c into their own X̄_c over their own rows: W·(s∘U), the products W·(s∘Y_c) (one block product for
    /// all), the unit rows (cosine) and the centred features (RBF) are shared.
    /// </summary>
    public static void Accumulate(AffinityKind kind, double[] x, double[] w, double[] degrees, IReadOnlyList<double[]> ys, double[] u, double sigma,
        int n, int d, int k, IReadOnlyList<double[]> gxs, IReadOnlyList<int[]?> rows)
    {
        var s = AffinityMath.InvSqrtDegrees(degrees);
        var dBars = DegreeAdjoints(w, degrees, s, ys, u, n, k);
        var features = kind == AffinityKind.Rbf ? new RbfFeatureRows(x, n, d, sigma) : null;
        var unit = kind == AffinityKind.Cosine ? new UnitRows(x, n, d) : null;
        for (int c = 0; c < ys.Count; c++)
        {
            var (a, b) = AdjointFactors(ys[c], u, n, k);
            var order = rows[c] ?? Enumerable.Range(0, n).ToArray();
            if (features is not null)
                AccumulateRbf(features, w, s, dBars[c], a, b, n, k, gxs[c], order);
            else
                AccumulateCosine(unit!, s, dBars[c], a, b, sigma, n, d, k, gxs[c], order);
        }
    }

    /// <summary>Block <paramref name="block"/> of <paramref name="order"/>: four row indices (a ragged last block repeats its last) and how many are real.</summary>
    private static (int[] Rows, int Count) Block(int[] order, int block)
    {
        int i0 = block * 4, last = order.Length - 1;
        return ([order[i0], order[Math.Min(i0 + 1, last)], order[Math.Min(i0 + 2, last)], order[Math.Min(i0 + 3, last)]], Math.Min(4, order.Length - i0));
    }

    /// <summary>
    /// Pass 1 per adjoint: d̄_i = −½·d_i^(−3/2)·[y_i·(W(s∘U))_i + u_i·(W(s∘Y))_i], 0 where the degree was clamped in the forward
    /// pass; W(s∘U) once, W(s∘Y_c) for every c in one product over the adjoints side by side.
    /// </summary>
    private static double[][] DegreeAdjoints(double[] w, double[] degrees, double[] s, IReadOnlyList<double[]> ys, double[] u, int n, int k)
    {
        int count = ys.Count, wide = k * count;
        var su = new double[n * k];
        var sy = new double[n * wide];
        for (int i = 0; i < n; i++)
            for (int c = 0; c < k; c++)
            {
                su[i * k + c] = s[i] * u[i * k + c];
                for (int l = 0; l < count; l++)
                    sy[i * wide + l * k + c] = s[i] * ys[l][i * k + c];
            }
        var wsu = SimdKernels.SquareTimes(w, n, su, k);
        var wsy = SimdKernels.SquareTimes(w, n, sy, wide);
        var dBars = new double[count][];
        for (int l = 0; l < count; l++)
        {
            var y = ys[l];
            var dBar = dBars[l] = new double[n];
            for (int i = 0; i < n; i++)
            {
                double t = 0;
                for (int c = 0; c < k; c++)
                    t += y[i * k + c] * wsu[i * k + c] + u[i * k + c] * wsy[i * wide + l * k + c];
                dBar[i] = degrees[i] > AffinityMath.DegreeFloor ? -Math.Pow(degrees[i], -1.5) * 0.5 * t : 0;
            }
        }
        return dBars;
    }

    /// <summary>
    /// The rows i = r[q] of a block (four, a ragged last block repeating row n − 1) of S_ij = (2·a_i·b_j·s_i·s_j + d̄_i + d̄_j)·f_ij
    /// into <paramref name="sRows"/> (4×n), f_ij = f[fRows[q] + j] for the block's row q.
    /// </summary>
    private static void AdjointRows(double[] a, double[] b, double[] s, double[] dBar, int n, int k2, ReadOnlySpan<int> r, Span<double> dots,
        double[] sRows, double[] f, ReadOnlySpan<int> fRows)
    {
        for (int j = 0; j < n; j += 2)
        {
            int j1 = Math.Min(j + 1, n - 1);
            SimdKernels.Dot4x2(a, r[0] * k2, r[1] * k2, r[2] * k2, r[3] * k2, b, j * k2, j1 * k2, k2, dots);
            for (int q = 0; q < 4; q++)
            {
                int i = r[q];
                sRows[q * n + j] = (2 * dots[2 * q] * s[i] * s[j] + dBar[i] + dBar[j]) * f[fRows[q] + j];
                sRows[q * n + j1] = (2 * dots[2 * q + 1] * s[i] * s[j1] + dBar[i] + dBar[j1]) * f[fRows[q] + j1];
            }
        }
    }

    /// <summary>RBF, pass 2: S with f = W, then X̄_i += −(1/σ²)·Σ_j S_ij·(x_i − x_j) (<see cref="RbfFeatureRows"/>).</summary>
    private static void AccumulateRbf(RbfFeatureRows features, double[] w, double[] s, double[] dBar, double[] a, double[] b, int n, int k, double[] gx,
        int[] order)
    {
        int k2 = 2 * k;
        Parallel.For(0, (order.Length + 3) / 4, block =>
        {
            var (r, rows) = Block(order, block);
            var sRows = new double[4 * n];
            Span<double> dots = stackalloc double[8];
            AdjointRows(a, b, s, dBar, n, k2, r, dots, sRows, w, [r[0] * n, r[1] * n, r[2] * n, r[3] * n]);
            features.Accumulate(sRows, 0, r, rows, gx);
        });
    }

    /// <summary>
    /// Cosine, pass 2: S with f_ij = ∂W_ij/∂(x̂_i·x̂_j) = (t/σ²)·exp(−t²/(2σ²)) recomputed in float64 from the unit rows (t = 1 − x̂_i·x̂_j, or
    /// ½‖x̂_i − x̂_j‖² + gap_i + gap_j where the forward took direct differences), X̂̄ = S·X̂ row by row, then
    /// x̄_i += (x̂̄_i − (x̂_i·x̂̄_i)·x̂_i)/max(‖x_i‖, floor). O(n²·(k + d)) work, O(n·d) extra memory: no n×n array.
    /// </summary>
    private static void AccumulateCosine(UnitRows unit, double[] s, double[] dBar, double[] a, double[] b, double sigma, int n, int d, int k, double[] gx,
        int[] order)
    {
        int k2 = 2 * k;
        double inv = 1 / (sigma * sigma);
        var (xh, norm, gap) = (unit.Xh, unit.Norm, unit.Gap);
        bool direct = AffinityMath.UsesDirectDifferences(AffinityKind.Cosine, 0, inv / 2);
        Parallel.For(0, (order.Length + 3) / 4, block =>
        {
            var (r, rows) = Block(order, block);
            // t for the block's rows against every row, then the slope in place.
            var t = new double[4 * n];
            Span<double> pairs = stackalloc double[8];
            for (int j = 0; j < n; j += 2)
            {
                int j1 = Math.Min(j + 1, n - 1);
                if (direct)
                    SimdKernels.DistanceSquares4x2(xh, r[0] * d, r[1] * d, r[2] * d, r[3] * d, xh, j * d, j1 * d, d, pairs);
                else
                    SimdKernels.Dot4x2(xh, r[0] * d, r[1] * d, r[2] * d, r[3] * d, xh, j * d, j1 * d, d, pairs);
                for (int q = 0; q < 4; q++)
                {
                    t[q * n + j] = direct ? 0.5 * pairs[2 * q] + gap[r[q]] + gap[j] : 1 - pairs[2 * q];
                    t[q * n + j1] = direct ? 0.5 * pairs[2 * q + 1] + gap[r[q]] + gap[j1] : 1 - pairs[2 * q + 1];
                }
            }
            for (int e = 0; e < t.Length; e++)
                t[e] = inv * t[e] * Math.Exp(-t[e] * t[e] * inv / 2);
            var sRows = new double[4 * n];
            Span<double> dots = stackalloc double[8];
            AdjointRows(a, b, s, dBar, n, k2, r, dots, sRows, t, [0, n, 2 * n, 3 * n]);
            var bar = new double[d];
            for (int q = 0; q < rows; q++)
            {
                int i = r[q];
                Array.Clear(bar);
                for (int j = 0; j < n; j++)
                    if (sRows[q * n + j] != 0)
                        SimdMath.MultiplyAdd<double>(xh.AsSpan(j * d, d), sRows[q * n + j], bar);
                double dot = SimdMath.Dot<double>(xh.AsSpan(i * d, d), bar);
                for (int c = 0; c < d; c++)
                    gx[i * d + c] += (bar[c] - dot * xh[i * d + c]) / norm[i];
            }
        });
    }

    /// <summary>The cosine's unit rows x̂ = x/max(‖x‖, floor), the floored norms and the gaps ½(1 − ‖x̂‖²) of rows below the floor.</summary>
    private sealed class UnitRows
    {
        public UnitRows(double[] x, int n, int d)
        {
            (Xh, Norm, Gap) = (new double[n * d], new double[n], new double[n]);
            for (int i = 0; i < n; i++)
            {
                double sq = SimdMath.Dot<double>(x.AsSpan(i * d, d), x.AsSpan(i * d, d));
                Norm[i] = Math.Max(Math.Sqrt(sq), AffinityMath.CosineNormFloor);
                Gap[i] = AffinityMath.CosineGap(sq);
                for (int c = 0; c < d; c++)
                    Xh[i * d + c] = x[i * d + c] / Norm[i];
            }
        }

        public double[] Xh { get; }
        public double[] Norm { get; }
        public double[] Gap { get; }
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
}
