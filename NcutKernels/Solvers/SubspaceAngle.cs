// SubspaceAngle: the sine of the largest principal angle between the column spaces of two tall matrices (host, float64).
namespace NcutKernels.Solvers;

/// <summary>
/// sin θ_max between span(A) and span(B) for rows×k matrices (rows ≥ k): ‖(I − Q_A·Q_Aᵀ)·Q_B‖₂ with Q_A, Q_B orthonormal
/// bases of the columns (modified Gram–Schmidt, twice), the 2-norm from <see cref="SmallSvd"/>. Accurate for small angles
/// (no 1 − cos² cancellation). A column that is zero or dependent up to rounding makes the spaces differ in rank: 1.
/// </summary>
internal static class SubspaceAngle
{
    /// <summary>sin θ_max of the column spaces of <paramref name="a"/> and <paramref name="b"/> (both rows×k, row-major).</summary>
    public static double Sin(double[] a, double[] b, int rows, int k)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (k < 1 || rows < k || a.Length != (long)rows * k || b.Length != a.Length)
            throw new ArgumentException($"SubspaceAngle: need two rows×k matrices with rows ≥ k ≥ 1, got {a.Length} and {b.Length} values for {rows}×{k}.");
        var qa = Orthonormal(a, rows, k);
        var qb = Orthonormal(b, rows, k);
        if (qa is null || qb is null)
            return 1;
        var c = new double[rows, k];
        for (int j = 0; j < k; j++)
        {
            var col = (double[])qb[j].Clone();
            foreach (var q in qa)
            {
                double dot = Dot(q, col);
                for (int i = 0; i < rows; i++)
                    col[i] -= dot * q[i];
            }
            for (int i = 0; i < rows; i++)
                c[i, j] = col[i];
        }
        return Math.Min(1, SmallSvd.Decompose(c).s[0]);
    }

    /// <summary>Orthonormal columns (each a rows-vector) spanning those of x, or null when a column is dependent up to rounding.</summary>
    private static double[][]? Orthonormal(double[] x, int rows, int k)
    {
        var q = new double[k][];
        for (int j = 0; j < k; j++)
        {
            var col = new double[rows];
            for (int i = 0; i < rows; i++)
                col[i] = x[(long)i * k + j];
            double norm0 = Math.Sqrt(Dot(col, col));
            for (int pass = 0; pass < 2; pass++)
                for (int p = 0; p < j; p++)
                {
                    double dot = Dot(q[p], col);
                    for (int i = 0; i < rows; i++)
                        col[i] -= dot * q[p][i];
                }
            double norm = Math.Sqrt(Dot(col, col));
            if (!(norm > 1e-12 * norm0) || !double.IsFinite(norm))
                return null;
            for (int i = 0; i < rows; i++)
                col[i] /= norm;
            q[j] = col;
        }
        return q;
    }

    private static double Dot(double[] a, double[] b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++)
            s += a[i] * b[i];
        return s;
    }
}
