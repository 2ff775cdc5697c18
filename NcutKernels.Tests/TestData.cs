// TestData: synthetic inputs (well-separated blobs, uniform noise), float64 references built with MathNet, subspace angles and NMI.
using System.Numerics;
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

    /// <summary>
    /// count values, each <paramref name="draw"/>(rng) in turn from one System.Random(seed): the one way the tests draw a flat
    /// array (a draw that uses the generator several times, e.g. <see cref="Gaussian"/>, takes its calls in order).
    /// </summary>
    public static T[] Sequence<T>(int count, int seed, Func<Random, T> draw)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => draw(rng)).ToArray();
    }

    /// <summary>rows×cols values drawn as <see cref="Sequence{T}"/> in row-major order (x[0, 0], x[0, 1], …).</summary>
    public static T[,] Grid<T>(int rows, int cols, int seed, Func<Random, T> draw)
    {
        var rng = new Random(seed);
        var x = new T[rows, cols];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++)
                x[i, j] = draw(rng);
        return x;
    }

    /// <summary>
    /// A MathNet rows×cols matrix of draws from System.Random(seed) filled by MathNet's Dense initializer, which visits the
    /// entries column by column: not the same matrix as <see cref="Grid{T}"/> with the same seed.
    /// </summary>
    public static Matrix<double> RandomMatrix(int rows, int cols, int seed, Func<Random, double> draw)
    {
        var rng = new Random(seed);
        return Matrix<double>.Build.Dense(rows, cols, (_, _) => draw(rng));
    }

    /// <summary>n×d values uniform in [0, 1) (float64), row-major draws.</summary>
    public static double[,] Uniform(int n, int d, int seed) => Grid(n, d, seed, rng => rng.NextDouble());

    /// <summary>count float32 values uniform in [lo, hi) from System.Random(seed) (flat, for kernel inputs).</summary>
    public static float[] UniformFloats(int count, int seed, double lo = -1, double hi = 1) =>
        Sequence(count, seed, rng => (float)(lo + (hi - lo) * rng.NextDouble()));

    /// <summary>count float32 values rng.NextSingle() ∈ [0, 1) (not the same values as <see cref="UniformFloats"/>).</summary>
    public static float[] UniformSingles(int count, int seed) => Sequence(count, seed, rng => rng.NextSingle());

    /// <summary>count float32 values rng.NextSingle()·2 − 1 ∈ [−1, 1), in float32 arithmetic.</summary>
    public static float[] SignedSingles(int count, int seed) => Sequence(count, seed, rng => rng.NextSingle() * 2 - 1);

    /// <summary>count standard normal values (<see cref="Gaussian"/>), float64.</summary>
    public static double[] Gaussians(int count, int seed) => Sequence(count, seed, Gaussian);

    /// <summary>count standard normal values (<see cref="Gaussian"/>) rounded to float32.</summary>
    public static float[] GaussianFloats(int count, int seed) => Sequence(count, seed, rng => (float)Gaussian(rng));

    /// <summary>rows×cols standard normal values (<see cref="Gaussian"/>), row-major draws.</summary>
    public static double[,] GaussianGrid(int rows, int cols, int seed) => Grid(rows, cols, seed, Gaussian);

    /// <summary>r×c loss weights, uniform in [0.5, 1.5) (seeded): Σ w∘U² is sign-invariant and sees every eigenvector.</summary>
    public static double[,] Weights(int r, int c, int seed) => Grid(r, c, seed, rng => rng.NextDouble() + 0.5);

    /// <summary>One standard normal draw (Box–Muller, two uniform draws).</summary>
    public static double Gaussian(Random rng) =>
        Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());

    /// <summary>One draw uniform in [−1, 1): rng.NextDouble()·2 − 1.</summary>
    public static double SignedUniform(Random rng) => rng.NextDouble() * 2 - 1;

    /// <summary>x row-major as a flat array.</summary>
    public static double[] Flatten(double[,] x) => x.Cast<double>().ToArray();

    /// <summary>Each value converted by T.CreateChecked (float32: rounded to nearest).</summary>
    public static T[,] Convert<T>(double[,] a) where T : INumberBase<T>
    {
        var r = new T[a.GetLength(0), a.GetLength(1)];
        for (int i = 0; i < a.GetLength(0); i++)
            for (int j = 0; j < a.GetLength(1); j++)
                r[i, j] = T.CreateChecked(a[i, j]);
        return r;
    }

    /// <summary>Each value converted by T.CreateChecked (float32: rounded to nearest).</summary>
    public static T[] Convert<T>(double[] a) where T : INumberBase<T> => a.Select(T.CreateChecked).ToArray();

    public static float[,] ToFloat(double[,] x) => Convert<float>(x);

    /// <summary>x widened to float64 (exactly, by double.CreateChecked).</summary>
    public static double[,] ToDouble<T>(T[,] x) where T : INumberBase<T>
    {
        var f = new double[x.GetLength(0), x.GetLength(1)];
        for (int i = 0; i < x.GetLength(0); i++)
            for (int j = 0; j < x.GetLength(1); j++)
                f[i, j] = double.CreateChecked(x[i, j]);
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
