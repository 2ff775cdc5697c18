// TestData: synthetic inputs (well-separated blobs, uniform noise), float64 references built with MathNet, subspace angles and NMI.
using MathNet.Numerics.LinearAlgebra;

namespace NcutKernels.Tests;

/// <summary>Deterministic synthetic data and independent float64 references.</summary>
internal static class TestData
{
    /// <summary>n points in c Gaussian blobs (centres ~ separation apart) in d dimensions, row-major.</summary>
    public static double[,] Blobs(int n, int d, int c, double separation, int seed, double spread = 1.0)
    {
        var rng = new Random(seed);
        var centres = new double[c, d];
        for (int j = 0; j < c; j++)
            for (int k = 0; k < d; k++)
                centres[j, k] = (rng.NextDouble() * 2 - 1) * separation;
        var x = new double[n, d];
        for (int i = 0; i < n; i++)
            for (int k = 0; k < d; k++)
                x[i, k] = centres[i % c, k] + spread * Gaussian(rng);
        return x;
    }

    public static double[,] Uniform(int n, int d, int seed)
    {
        var rng = new Random(seed);
        var x = new double[n, d];
        for (int i = 0; i < n; i++)
            for (int k = 0; k < d; k++)
                x[i, k] = rng.NextDouble();
        return x;
    }

    /// <summary>count float32 values uniform in [lo, hi) from System.Random(seed) (flat, for kernel inputs).</summary>
    public static float[] UniformFloats(int count, int seed, double lo = -1, double hi = 1)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => (float)(lo + (hi - lo) * rng.NextDouble())).ToArray();
    }

    /// <summary>r×c loss weights, uniform in [0.5, 1.5) (seeded): Σ w∘U² is sign-invariant and sees every eigenvector.</summary>
    public static double[,] Weights(int r, int c, int seed)
    {
        var rng = new Random(seed);
        var w = new double[r, c];
        for (int i = 0; i < r; i++)
            for (int j = 0; j < c; j++)
                w[i, j] = rng.NextDouble() + 0.5;
        return w;
    }

    public static double Gaussian(Random rng) =>
        Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());

    public static float[,] ToFloat(double[,] x)
    {
        var f = new float[x.GetLength(0), x.GetLength(1)];
        for (int i = 0; i < x.GetLength(0); i++)
            for (int j = 0; j < x.GetLength(1); j++)
                f[i, j] = (float)x[i, j];
        return f;
    }

    public static double[,] ToDouble(float[,] x)
    {
        var f = new double[x.GetLength(0), x.GetLength(1)];
        for (int i = 0; i < x.GetLength(0); i++)
            for (int j = 0; j < x.GetLength(1); j++)
                f[i, j] = x[i, j];
        return f;
    }

    /// <summary>Direct float64 affinity (docs/MATH.md definitions, no expansion tricks).</summary>
    public static Matrix<double> Affinity(double[,] x, bool cosine, double sigma)
    {
        int n = x.GetLength(0), d = x.GetLength(1);
        var w = Matrix<double>.Build.Dense(n, n);
        var norms = new double[n];
        for (int i = 0; i < n; i++)
        {
            double s = 0;
            for (int k = 0; k < d; k++)
                s += x[i, k] * x[i, k];
            norms[i] = Math.Max(Math.Sqrt(s), 1e-8);
        }
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                double acc = 0;
                for (int k = 0; k < d; k++)
                {
                    if (cosine)
                        acc += x[i, k] / norms[i] * (x[j, k] / norms[j]);
                    else
                        acc += (x[i, k] - x[j, k]) * (x[i, k] - x[j, k]);
                }
                w[i, j] = cosine ? Math.Exp(-(acc - 1) * (acc - 1) / (2 * sigma * sigma)) + 1e-3 : Math.Exp(-acc / (2 * sigma * sigma));
            }
        return w;
    }

    /// <summary>D^-1/2 W D^-1/2 (no shift).</summary>
    public static Matrix<double> Normalize(Matrix<double> w)
    {
        var s = w.RowSums().Map(v => 1 / Math.Sqrt(Math.Max(v, 1e-8)));
        var m = w.Clone();
        for (int i = 0; i < w.RowCount; i++)
            for (int j = 0; j < w.ColumnCount; j++)
                m[i, j] = w[i, j] * s[i] * s[j];
        return m;
    }

    /// <summary>Top-k eigenpairs of a symmetric matrix by MathNet's dense EVD, descending.</summary>
    public static (double[] values, Matrix<double> vectors) TopK(Matrix<double> m, int k)
    {
        var evd = m.Evd(Symmetricity.Symmetric);
        var order = Enumerable.Range(0, m.RowCount).OrderByDescending(i => evd.EigenValues[i].Real).Take(k).ToArray();
        var values = order.Select(i => evd.EigenValues[i].Real).ToArray();
        var vectors = Matrix<double>.Build.Dense(m.RowCount, k, (r, c) => evd.EigenVectors[r, order[c]]);
        return (values, vectors);
    }

    /// <summary>sin of the largest principal angle between span(a) and span(b) (both n×k, orthonormal columns).</summary>
    public static double SubspaceSin(Matrix<double> a, Matrix<double> b)
    {
        var residual = b - a * (a.Transpose() * b);
        return residual.L2Norm();
    }

    /// <summary>An orthonormal basis (thin QR) of the columns of u: what <see cref="SubspaceSin"/> needs for a non-orthonormal embedding.</summary>
    public static Matrix<double> Orthonormal(Matrix<double> u) => u.QR(MathNet.Numerics.LinearAlgebra.Factorization.QRMethod.Thin).Q;

    public static Matrix<double> Matrix(float[,] u) => Matrix<double>.Build.Dense(u.GetLength(0), u.GetLength(1), (r, c) => u[r, c]);

    public static Matrix<double> Matrix(double[,] u) => Matrix<double>.Build.DenseOfArray(u);

    /// <summary>Normalized mutual information, 2·I(a; b) / (H(a) + H(b)) (arithmetic normalization, as sklearn's default); 1 when both are one cluster.</summary>
    public static double Nmi(int[] a, int[] b)
    {
        int n = a.Length;
        var joint = new Dictionary<(int, int), int>();
        for (int i = 0; i < n; i++)
            joint[(a[i], b[i])] = joint.GetValueOrDefault((a[i], b[i])) + 1;
        var pa = a.GroupBy(x => x).ToDictionary(g => g.Key, g => (double)g.Count() / n);
        var pb = b.GroupBy(x => x).ToDictionary(g => g.Key, g => (double)g.Count() / n);
        double mi = joint.Sum(e =>
        {
            double p = (double)e.Value / n;
            return p * Math.Log(p / (pa[e.Key.Item1] * pb[e.Key.Item2]));
        });
        double ha = -pa.Values.Sum(p => p * Math.Log(p)), hb = -pb.Values.Sum(p => p * Math.Log(p));
        return ha + hb == 0 ? 1 : 2 * mi / (ha + hb);
    }
}
