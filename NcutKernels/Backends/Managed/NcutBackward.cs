// NcutBackward: the fused backward of RBF affinity → normalization from the low-rank M̄ = ½(Y·Uᵀ + U·Yᵀ): X̄ += … without forming W̄ or M̄ (managed, float64; the twin of Kernels/NcutBackwardKernels).
using NcutKernels.Core;

namespace NcutKernels.Backends.Managed;

/// <summary>
/// Chain rule from the eigen adjoint in low-rank form back to the features, in two passes over (i, j)
/// (docs/MATH.md): with s = d^-1/2 and M̄_ij = ½(y_i·u_j + u_i·y_j),
/// pass 1: t_i = Σ_j M̄_ij·W_ij·s_j = ½[y_i·(W(s∘U))_i + u_i·(W(s∘Y))_i], d̄_i = −d_i^(−3/2)·t_i;
/// pass 2: S_ij = (W̄_ij + W̄_ji)·W_ij = (2·M̄_ij·s_i·s_j + d̄_i + d̄_j)·W_ij and
/// X̄_i += −(1/σ²)·(Σ_j S_ij·x_i − Σ_j S_ij·x_j). O(n²·(k + d)) work, O(n·(d + k)) extra memory.
/// </summary>
internal static class NcutBackward
{
    /// <param name="x">X, n×d row-major.</param>
    /// <param name="w">W, n×n row-major, symmetric (the RBF affinity of X).</param>
    /// <param name="degrees">d = W·1 (n).</param>
    /// <param name="y">Y, n×k (the eigen adjoint).</param>
    /// <param name="u">U, n×k.</param>
    /// <param name="sigma">σ of the affinity (held constant).</param>
    /// <param name="n">Points.</param>
    /// <param name="d">Features.</param>
    /// <param name="k">Eigenvectors.</param>
    /// <param name="gx">X̄, n×d, accumulated (+=).</param>
    public static void AccumulateRbf(double[] x, double[] w, double[] degrees, double[] y, double[] u, double sigma,
        int n, int d, int k, double[] gx)
    {
        // Degrees clamped in the forward pass carry no gradient.
        double degreeFloor = AffinityMath.DegreeFloor;
        var s = AffinityMath.InvSqrtDegrees(degrees);
        var su = new double[n * k];
        var sy = new double[n * k];
        for (int i = 0; i < n; i++)
            for (int c = 0; c < k; c++)
            {
                su[i * k + c] = s[i] * u[i * k + c];
                sy[i * k + c] = s[i] * y[i * k + c];
            }
        var wsu = SimdKernels.SquareTimes(w, n, su, k);
        var wsy = SimdKernels.SquareTimes(w, n, sy, k);
        var dBar = new double[n];
        for (int i = 0; i < n; i++)
        {
            double t = 0;
            for (int c = 0; c < k; c++)
                t += y[i * k + c] * wsu[i * k + c] + u[i * k + c] * wsy[i * k + c];
            dBar[i] = degrees[i] > degreeFloor ? -Math.Pow(degrees[i], -1.5) * 0.5 * t : 0;
        }

        int k2 = 2 * k;
        var (a, b) = AdjointFactors(y, u, n, k);
        var features = new RbfFeatureRows(x, n, d, sigma);
        Parallel.For(0, (n + 3) / 4, block =>
        {
            int i0 = block * 4, rows = Math.Min(4, n - i0);
            var sRows = new double[4 * n];
            Span<double> dots = stackalloc double[8];
            Span<int> r = [i0, Math.Min(i0 + 1, n - 1), Math.Min(i0 + 2, n - 1), Math.Min(i0 + 3, n - 1)];
            // S rows of this block: M̄ by 4×2 dot products, then the element-wise factors.
            for (int j = 0; j < n; j += 2)
            {
                int j1 = Math.Min(j + 1, n - 1);
                SimdKernels.Dot4x2(a, r[0] * k2, r[1] * k2, r[2] * k2, r[3] * k2, b, j * k2, j1 * k2, k2, dots);
                for (int q = 0; q < 4; q++)
                {
                    int i = r[q];
                    sRows[q * n + j] = (2 * dots[2 * q] * s[i] * s[j] + dBar[i] + dBar[j]) * w[i * n + j];
                    sRows[q * n + j1] = (2 * dots[2 * q + 1] * s[i] * s[j1] + dBar[i] + dBar[j1]) * w[i * n + j1];
                }
            }
            features.Accumulate(sRows, 0, i0, rows, gx);
        });
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
