// RbfPairGradient: the RBF pair-gradient identity x̄_j += f·Σ_q S_jq·(x_j − x_q) with S_jq = (ḡ_j + ḡ_q)·W_jq — how a gradient on the row sums of an RBF graph reaches its points (host, float64).
using NcutKernels.Backends;
using NcutKernels.Backends.Managed;

namespace NcutKernels.Solvers;

/// <summary>
/// For points p_j (count×d, row-major, float64) with squared norms <c>norms</c>, W_jq = exp(−scale·max(0, ‖p_j‖² + ‖p_q‖² − 2·p_j·p_q))
/// and an adjoint ḡ of the graph's row sums g_j = Σ_q W_jq: ∂/∂p_j of Σ_j ḡ_j·g_j is −2·scale·Σ_q (ḡ_j + ḡ_q)·W_jq·(p_j − p_q),
/// i.e. (diag(S·1) − S)·P with S_jq = (ḡ_j + ḡ_q)·W_jq. The Nyström backward rules use it for the landmark degrees (classic
/// extension) and the anchor degrees (ncut_pytorch's propagation); the factor in front is theirs.
/// </summary>
internal static class RbfPairGradient
{
    /// <summary>
    /// into[j] += factor·(Σ_q S_jq·p_j − Σ_q S_jq·p_q) for every point j (rows in parallel, each sum in q order), S as above.
    /// </summary>
    public static void Accumulate(double[] points, double[] norms, int count, int d, double[] gBar, double scale, double factor, double[] into)
    {
        Parallel.For(0, count, j =>
        {
            var pj = points.AsSpan(j * d, d);
            var acc = new double[d];
            double rowSum = 0;
            for (int q = 0; q < count; q++)
            {
                var pq = points.AsSpan(q * d, d);
                double w = Math.Exp(-scale * Math.Max(0, norms[j] + norms[q] - 2 * SimdMath.Dot<double>(pj, pq)));
                double s = (gBar[j] + gBar[q]) * w;
                rowSum += s;
                SimdMath.MultiplyAdd<double>(pq, s, acc);
            }
            for (int c = 0; c < d; c++)
                into[(long)j * d + c] += factor * (rowSum * pj[c] - acc[c]);
        });
    }
}
