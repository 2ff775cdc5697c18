// GradientCheck: central finite differences in float64 along random directions, and the Taylor-remainder test.
using NcutKernels.Autodiff;
using NcutKernels.Runtime;
using NUnit.Framework;

namespace NcutKernels.Tests.Autodiff;

/// <summary>Checks an analytic gradient against finite differences of the same function (docs/MATH.md "Checking gradients").</summary>
internal static class GradientCheck
{
    /// <summary>
    /// The gradient tests' inputs: n points in four 3-d blobs (separation 2.5, spread 0.8, <see cref="TestData.Blobs"/>) with a
    /// little overlap: distinct leading eigenvalues and a clear gap after them.
    /// </summary>
    public static double[,] Points(int n, int seed = 5) => TestData.Blobs(n, 3, 4, separation: 2.5, seed: seed, spread: 0.8);

    /// <summary>Builds the loss from a fresh tape and input; returns (loss value, gradient).</summary>
    public static (double loss, double[,] grad) Evaluate(double[,] x, Func<Tape<double>, Variable<double>, Variable<double>> f, bool withGrad)
    {
        using var device = ComputeDevice.Create(DeviceKind.Cpu);
        using var tape = new Tape<double>(device);
        var v = tape.Input(x, requiresGrad: true);
        var loss = f(tape, v);
        double value = loss.ToArray()[0, 0];
        if (!withGrad)
            return (value, new double[0, 0]);
        tape.Backward(loss);
        return (value, v.Gradient);
    }

    private static double[,] Step(double[,] x, double[,] dir, double h)
    {
        var y = (double[,])x.Clone();
        for (int i = 0; i < x.GetLength(0); i++)
            for (int j = 0; j < x.GetLength(1); j++)
                y[i, j] += h * dir[i, j];
        return y;
    }

    /// <summary>
    /// For <paramref name="directions"/> random directions v (optionally symmetrized), asserts
    /// |⟨∇L, v⟩ − (L(x+hv) − L(x−hv))/2h| ≤ rtol·max(|⟨∇L, v⟩|, scale) and that the first-order Taylor remainder
    /// shrinks about 4× when h halves.
    /// </summary>
    public static void Assert(double[,] x, Func<Tape<double>, Variable<double>, Variable<double>> f, double rtol = 1e-6,
        int directions = 3, double h = 1e-5, bool symmetric = false, int seed = 1)
    {
        var (l0, grad) = Evaluate(x, f, withGrad: true);
        foreach (var g in grad)
            NUnit.Framework.Assert.That(double.IsFinite(g), Is.True, "gradient has a non-finite entry");
        var rng = new Random(seed);
        int r = x.GetLength(0), c = x.GetLength(1);
        double gradNorm = Math.Sqrt(grad.Cast<double>().Sum(v => v * v));
        for (int t = 0; t < directions; t++)
        {
            var dir = new double[r, c];
            for (int i = 0; i < r; i++)
                for (int j = 0; j < c; j++)
                    dir[i, j] = TestData.Gaussian(rng);
            if (symmetric)
                for (int i = 0; i < r; i++)
                    for (int j = 0; j < i; j++)
                        dir[i, j] = dir[j, i];
            double analytic = 0, dirNorm = 0;
            for (int i = 0; i < r; i++)
                for (int j = 0; j < c; j++)
                {
                    analytic += grad[i, j] * dir[i, j];
                    dirNorm += dir[i, j] * dir[i, j];
                }
            double fd = (Evaluate(Step(x, dir, h), f, false).loss - Evaluate(Step(x, dir, -h), f, false).loss) / (2 * h);
            double scale = Math.Max(Math.Abs(analytic), 1e-3 * gradNorm * Math.Sqrt(dirNorm));
            NUnit.Framework.Assert.That(Math.Abs(analytic - fd), Is.LessThanOrEqualTo(rtol * scale),
                $"direction {t}: analytic {analytic:E10} vs central difference {fd:E10}");
            if (t == 0)
            {
                // Taylor test: |L(x+εv) − L(x) − ε⟨∇L,v⟩| is O(ε²): it drops ~4× when ε halves.
                double eps = 1e-3 * Math.Max(1, Math.Sqrt(x.Cast<double>().Sum(v => v * v) / dirNorm));
                double r1 = Math.Abs(Evaluate(Step(x, dir, eps), f, false).loss - l0 - eps * analytic);
                double r2 = Math.Abs(Evaluate(Step(x, dir, eps / 2), f, false).loss - l0 - eps / 2 * analytic);
                if (r1 > 1e-12 * Math.Max(1, Math.Abs(l0)))
                    NUnit.Framework.Assert.That(r1 / r2, Is.InRange(3.0, 5.0), $"Taylor remainders {r1:E3} → {r2:E3}");
            }
        }
    }
}
