// SpectralGradientTests: affinity, normalization, top-k eigen and the whole chain against float64 finite differences and the full-spectrum formula.
using MathNet.Numerics.LinearAlgebra;
using NcutKernels.Autodiff;
using NcutKernels.Ops;
using NcutKernels.Runtime;
using NcutKernels.Solvers;
using NcutKernels.Spectral;
using NUnit.Framework;

namespace NcutKernels.Tests.Autodiff;

[TestFixture]
public class SpectralGradientTests
{
    private const double Sigma = 1.5;

    /// <summary>Four blobs with a little overlap: distinct leading eigenvalues and a clear gap after them.</summary>
    private static double[,] Points(int n = 60, int seed = 5) => TestData.Blobs(n, 3, 4, separation: 2.5, seed: seed, spread: 0.8);

    private static double[,] Weights(int r, int c, int seed)
    {
        var rng = new Random(seed);
        var w = new double[r, c];
        for (int i = 0; i < r; i++)
            for (int j = 0; j < c; j++)
                w[i, j] = rng.NextDouble() + 0.5;
        return w;
    }

    private static Ncut Embedding(ComputeDevice device, int k, AffinityKind kind = AffinityKind.Rbf) =>
        new(device, new NcutOptions { EigenvectorCount = k, Sigma = Sigma, Affinity = kind, Tolerance = 1e-13 });

    [TestCase(AffinityKind.Rbf)]
    [TestCase(AffinityKind.Cosine)]
    public void Affinity_MatchesFiniteDifferences(AffinityKind kind)
    {
        var c = Weights(20, 20, 2);
        GradientCheck.Assert(Points(20), (t, x) => t.Sum(t.Multiply(SpectralOps.Affinity(t, x, kind, Sigma), t.Constant(c))));
    }

    [Test]
    public void Normalize_MatchesFiniteDifferences()
    {
        var w = TestData.Affinity(Points(15), false, Sigma).ToArray();
        var c = Weights(15, 15, 3);
        GradientCheck.Assert(w, (t, x) => t.Sum(t.Multiply(SpectralOps.Normalize(t, x, 1e-8), t.Constant(c))));
    }

    [Test]
    public void TopK_MatchesFiniteDifferences_OnSymmetricDirections()
    {
        var m = TestData.Normalize(TestData.Affinity(Points(40), false, Sigma)).ToArray();
        var c = Weights(40, 3, 4);
        GradientCheck.Assert(m, (t, x) =>
        {
            var (u, lambda, _, _) = SpectralOps.TopK(t, x, 3, 1e-13, 0, 1000, 0, 1e-12, 5000, 0, null);
            return t.Add(t.Sum(t.Multiply(t.Square(u), t.Constant(c))), t.Scale(t.Sum(lambda), 0.7));
        }, symmetric: true);
    }

    [TestCase(60)]  // dense host eigen-solve in the forward pass
    [TestCase(160)] // block Lanczos in the forward pass
    public void WholeChain_SignInvariantLoss_MatchesFiniteDifferences(int n)
    {
        var x = Points(n);
        var c = Weights(n, 3, 6);
        GradientCheck.Assert(x, (t, v) =>
        {
            var (u, lambda) = Embedding(t.Device, 3).FitTransform(v);
            return t.Add(t.Sum(t.Multiply(t.Square(u), t.Constant(c))), t.Sum(t.Square(lambda)));
        });
    }

    [Test]
    public void WholeChain_SpanOnlyLoss_MatchesFiniteDifferences()
    {
        // ⟨T, U·Uᵀ⟩ = Σ (T·U)∘U depends on span(U) only.
        var x = Points(50);
        var tm = TestData.Affinity(Points(50, seed: 9), false, 1).ToArray();
        GradientCheck.Assert(x, (t, v) =>
        {
            var (u, _) = Embedding(t.Device, 4).FitTransform(v);
            return t.Sum(t.Multiply(t.MatMul(t.Constant(tm), u), u));
        });
    }

    [Test]
    public void TruncatedBackward_EqualsFullSpectrumFormula()
    {
        const int n = 70, k = 4;
        var mm = TestData.Normalize(TestData.Affinity(Points(n), false, Sigma));
        var evd = mm.Evd(Symmetricity.Symmetric);
        var order = Enumerable.Range(0, n).OrderByDescending(i => evd.EigenValues[i].Real).ToArray();
        var lam = order.Select(i => evd.EigenValues[i].Real).ToArray();
        var v = Matrix<double>.Build.Dense(n, n, (r, c) => evd.EigenVectors[r, order[c]]);
        var rng = new Random(3);
        var uBar = Matrix<double>.Build.Dense(n, k, (_, _) => TestData.Gaussian(rng));
        var lamBar = Enumerable.Range(0, k).Select(_ => TestData.Gaussian(rng)).ToArray();
        // Full spectrum: M̄ = V·(diag(λ̄) + F∘(VᵀV̄))·Vᵀ, V̄ = [Ū, 0], F over all pairs, then symmetrized.
        var vBar = Matrix<double>.Build.Dense(n, n);
        vBar.SetSubMatrix(0, 0, uBar);
        var inner = v.Transpose() * vBar;
        var core = Matrix<double>.Build.Dense(n, n, (i, j) => i == j ? (i < k ? lamBar[i] : 0) : inner[i, j] / (lam[j] - lam[i]));
        var full = v * core * v.Transpose();
        full = 0.5 * (full + full.Transpose());

        var u = v.SubMatrix(0, n, 0, k);
        var mArr = mm.ToRowMajorArray();
        var (y, report) = EigenBackward.Solve(z => NcutKernels.Backends.SimdKernels.SquareTimes(mArr, n, z, k), u.ToRowMajorArray(), lam[..k], uBar.ToRowMajorArray(), lamBar, n, k, 1e-14, 5000);
        var ym = Matrix<double>.Build.Dense(n, k, (r, c) => y[r * k + c]);
        var truncated = 0.5 * (ym * u.Transpose() + u * ym.Transpose());
        Assert.That(report.CgConverged, Is.True, report.ToString());
        Assert.That((truncated - full).FrobeniusNorm() / full.FrobeniusNorm(), Is.LessThan(1e-8));
    }

    [Test]
    public void RepeatedEigenvalueInsideKeptSet_SpanOnlyLoss_IsFiniteAndCorrect()
    {
        // Three far-apart blobs: λ1 = λ2 = λ3 = 1 exactly; keep k = 4 and a span-only loss.
        var x = TestData.Blobs(45, 2, 3, separation: 40, seed: 2, spread: 0.6);
        var tm = TestData.Affinity(TestData.Blobs(45, 2, 3, separation: 3, seed: 4), false, 1).ToArray();
        Ncut? first = null; // the first evaluation is the one that runs the backward pass
        GradientCheck.Assert(x, (t, v) =>
        {
            var ncut = new Ncut(t.Device, new NcutOptions { EigenvectorCount = 4, Sigma = 1, Tolerance = 1e-13 });
            first ??= ncut;
            var (u, _) = ncut.FitTransform(v);
            return t.Sum(t.Multiply(t.MatMul(t.Constant(tm), u), u));
        });
        Assert.That(first!.GradientReport!.RotationDependent, Is.False, first.GradientReport.ToString());
    }

    [Test]
    public void RotationDependentLoss_WithDegenerateEigenvalues_IsFinite_AndFlagged()
    {
        var x = TestData.Blobs(45, 2, 3, separation: 40, seed: 2, spread: 0.6);
        using var device = ComputeDevice.Create(DeviceKind.Cpu);
        using var tape = new Tape<double>(device);
        var v = tape.Input(x);
        var ncut = new Ncut(device, new NcutOptions { EigenvectorCount = 4, Sigma = 1, Tolerance = 1e-13 });
        var (u, _) = ncut.FitTransform(v);
        tape.Backward(tape.Sum(tape.Multiply(tape.Square(u), tape.Constant(Weights(45, 4, 1)))));
        Assert.That(v.Gradient.Cast<double>().All(double.IsFinite), Is.True);
        Assert.That(ncut.GradientReport!.RotationDependent, Is.True);
        Assert.That(ncut.GradientReport.Broadened, Is.GreaterThan(0), ncut.GradientReport.ToString());
        Assert.That(ncut.GradientReport.Reliable, Is.False);
    }

    [Test]
    public void Float32Gradient_MatchesFloat64Analytic()
    {
        var x = Points(60);
        var c = Weights(60, 3, 6);
        double[,] Grad<T>(T[,] input) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
        {
            using var device = ComputeDevice.Create(DeviceKind.Cpu);
            using var tape = new Tape<T>(device);
            var v = tape.Input(input);
            var (u, _) = new Ncut(device, new NcutOptions { EigenvectorCount = 3, Sigma = Sigma }).FitTransform(v);
            var cw = new T[60, 3];
            for (int i = 0; i < 60; i++)
                for (int j = 0; j < 3; j++)
                    cw[i, j] = T.CreateChecked(c[i, j]);
            tape.Backward(tape.Sum(tape.Multiply(tape.Square(u), tape.Constant(cw))));
            var g = v.Gradient;
            var r = new double[60, 3];
            for (int i = 0; i < 60; i++)
                for (int j = 0; j < 3; j++)
                    r[i, j] = double.CreateChecked(g[i, j]);
            return r;
        }
        var g64 = TestData.Matrix(Grad(x));
        var g32 = TestData.Matrix(Grad(TestData.ToFloat(x)));
        Assert.That((g32 - g64).FrobeniusNorm() / g64.FrobeniusNorm(), Is.LessThan(1e-3));
    }

    [Test]
    public void IlgpuFloat32Gradient_MatchesCpuFloat64()
    {
        // The whole differentiable embedding on ILGPU's CPU accelerator (the CUDA kernels: affinity, CG products, the fused
        // backward) in float32 against the managed backend in float64, on well-separated clusters.
        const int n = 60, k = 3;
        var x = Points(n);
        var c = Weights(n, k, 6);
        double[,] Grad<T>(DeviceKind kind, T[,] input) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
        {
            using var device = ComputeDevice.Create(kind);
            using var tape = new Tape<T>(device);
            var v = tape.Input(input);
            var ncut = new Ncut(device, new NcutOptions { EigenvectorCount = k, Sigma = Sigma });
            var (u, _) = ncut.FitTransform(v);
            var cw = new T[n, k];
            for (int i = 0; i < n; i++)
                for (int j = 0; j < k; j++)
                    cw[i, j] = T.CreateChecked(c[i, j]);
            tape.Backward(tape.Sum(tape.Multiply(tape.Square(u), tape.Constant(cw))));
            Assert.That(ncut.GradientReport!.CgConverged, Is.True, $"{kind}: {ncut.GradientReport}");
            var g = v.Gradient;
            var r = new double[n, x.GetLength(1)];
            for (int i = 0; i < n; i++)
                for (int j = 0; j < x.GetLength(1); j++)
                    r[i, j] = double.CreateChecked(g[i, j]);
            return r;
        }
        var g64 = TestData.Matrix(Grad(DeviceKind.Cpu, x));
        var g32 = TestData.Matrix(Grad(DeviceKind.IlgpuCpu, TestData.ToFloat(x)));
        // Measured 6.7e-7 relative (float32 rounding through CG and S·X); the bound leaves room for other summation orders.
        Assert.That((g32 - g64).FrobeniusNorm() / g64.FrobeniusNorm(), Is.LessThan(1e-4));
    }

    [Test]
    public void CgIterationCap_IsReported_AndTheGradientStaysFinite()
    {
        using var device = ComputeDevice.Create(DeviceKind.Cpu);
        using var tape = new Tape<double>(device);
        var v = tape.Input(Points(60));
        var ncut = new Ncut(device, new NcutOptions { EigenvectorCount = 3, Sigma = Sigma, MaxGradientIterations = 1 });
        var (u, _) = ncut.FitTransform(v);
        tape.Backward(tape.Sum(tape.Multiply(tape.Square(u), tape.Constant(Weights(60, 3, 6)))));
        Assert.That(v.Gradient.Cast<double>().All(double.IsFinite), Is.True);
        Assert.That(ncut.GradientReport!.CgIterations, Is.EqualTo(1));
        Assert.That(ncut.GradientReport.CgConverged, Is.False);
        Assert.That(ncut.GradientReport.Reliable, Is.False);
        Assert.That(ncut.GradientReport.ToString(), Does.Contain("NOT converged"));
    }

    [TestCase(60)]
    [TestCase(150)]
    public void FusedRbfBackward_EqualsTheComposedRules(int n)
    {
        // Ncut.FitTransform(Variable) records one fused "ncut-embedding" op for RBF; composing the three ops by hand
        // runs the separate affinity, normalization and top-k rules. Both must give the same dX.
        var x = Points(n);
        var c = Weights(n, 3, 6);
        double[,] Grad(bool fused)
        {
            using var device = ComputeDevice.Create(DeviceKind.Cpu);
            using var tape = new Tape<double>(device);
            var v = tape.Input(x);
            Variable<double> u;
            if (fused)
                u = Embedding(device, 3).FitTransform(v).eigenvectors;
            else
            {
                var w = SpectralOps.Affinity(tape, v, AffinityKind.Rbf, Sigma);
                var m = SpectralOps.Normalize(tape, w, 1e-8);
                u = SpectralOps.TopK(tape, m, 3, 1e-13, 0, 1000, 1e-8, 1e-11, 2000, 0, null).u;
            }
            Assert.That(tape.Count, Is.EqualTo(fused ? 1 : 3));
            tape.Backward(tape.Sum(tape.Multiply(tape.Square(u), tape.Constant(c))));
            return v.Gradient;
        }
        var a = TestData.Matrix(Grad(true));
        var b = TestData.Matrix(Grad(false));
        Assert.That((a - b).FrobeniusNorm() / b.FrobeniusNorm(), Is.LessThan(1e-9));
    }
}
