// SymmetricEigen: dense symmetric eigendecomposition on the host (cyclic Jacobi, float64) for the small projected problems.
namespace NcutKernels.Solvers;

/// <summary>
/// Eigen-decomposition of a small dense symmetric matrix by cyclic Jacobi rotations (float64, host).
/// Accurate to a few ulps of the matrix norm; O(m³) per sweep, meant for m ≤ a few hundred.
/// </summary>
internal static class SymmetricEigen
{
    /// <summary>
    /// Returns eigenvalues sorted descending and the matching orthonormal eigenvectors as columns of
    /// <c>vectors</c> (m×m). <paramref name="a"/> is not modified; only its upper triangle is read.
    /// </summary>
    public static (double[] values, double[,] vectors) Decompose(double[,] a)
    {
        int m = a.GetLength(0);
        if (a.GetLength(1) != m)
            throw new ArgumentException($"Matrix must be square, got {m}×{a.GetLength(1)}.", nameof(a));
        var s = new double[m, m];
        var v = new double[m, m];
        for (int i = 0; i < m; i++)
        {
            v[i, i] = 1;
            for (int j = i; j < m; j++)
            {
                if (!double.IsFinite(a[i, j]))
                    throw new ArithmeticException($"Non-finite entry {a[i, j]} at ({i}, {j}) of the projected matrix.");
                s[i, j] = s[j, i] = a[i, j];
            }
        }
        for (int sweep = 0; sweep < 100; sweep++)
        {
            double off = 0, diag = 0;
            for (int i = 0; i < m; i++)
            {
                diag += s[i, i] * s[i, i];
                for (int j = i + 1; j < m; j++)
                    off += s[i, j] * s[i, j];
            }
            if (off <= 1e-32 * diag || off == 0)
                break;
            for (int p = 0; p < m - 1; p++)
                for (int q = p + 1; q < m; q++)
                    Rotate(s, v, p, q, m);
        }
        var order = Enumerable.Range(0, m).OrderByDescending(i => s[i, i]).ThenBy(i => i).ToArray();
        var values = new double[m];
        var vectors = new double[m, m];
        for (int c = 0; c < m; c++)
        {
            values[c] = s[order[c], order[c]];
            for (int r = 0; r < m; r++)
                vectors[r, c] = v[r, order[c]];
        }
        return (values, vectors);
    }

    private static void Rotate(double[,] s, double[,] v, int p, int q, int m)
    {
        double apq = s[p, q];
        if (apq == 0)
            return;
        double theta = (s[q, q] - s[p, p]) / (2 * apq);
        double t = Math.Sign(theta == 0 ? 1 : theta) / (Math.Abs(theta) + Math.Sqrt(theta * theta + 1));
        double c = 1 / Math.Sqrt(t * t + 1), sn = t * c;
        for (int k = 0; k < m; k++)
        {
            double skp = s[k, p], skq = s[k, q];
            s[k, p] = c * skp - sn * skq;
            s[k, q] = sn * skp + c * skq;
        }
        for (int k = 0; k < m; k++)
        {
            double spk = s[p, k], sqk = s[q, k];
            s[p, k] = c * spk - sn * sqk;
            s[q, k] = sn * spk + c * sqk;
        }
        for (int k = 0; k < m; k++)
        {
            double vkp = v[k, p], vkq = v[k, q];
            v[k, p] = c * vkp - sn * vkq;
            v[k, q] = sn * vkp + c * vkq;
        }
    }
}
