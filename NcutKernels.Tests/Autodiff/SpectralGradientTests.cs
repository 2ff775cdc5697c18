// SpectralGradientTests: affinity, normalization, top-k eigen and the whole chain against float64 finite differences and the full-spectrum formula.
using MathNet.Numerics.LinearAlgebra;
using NUnit.Framework;
using NcutKernels.Autodiff;
using NcutKernels.Core;
using NcutKernels.Ops;
using NcutKernels.Runtime;
using NcutKernels.Solvers;
using NcutKernels.Spectral;

namespace NcutKernels.Tests.Autodiff;

[TestFixture]
public class SpectralGradientTests
{
    private const double Sigma = 1.5;

    private static Ncut Embedding(ComputeDevice device, int k, AffinityKind kind = AffinityKind.Rbf) =>
        new(device, new NcutOptions { EigenvectorCount = k, Sigma = Sigma, Affinity = kind, Tolerance = 1e-13 });

    [TestCase(AffinityKind.Rbf)]
    [TestCase(AffinityKind.Cosine)]
    public void Affinity_MatchesFiniteDifferences(AffinityKind kind)
    {
        var c = TestData.Weights(20, 20, 2);
        GradientCheck.Assert(GradientCheck.Points(20), (t, x) => t.Sum(t.Multiply(SpectralOps.Affinity(t, x, kind, Sigma), t.Constant(c))));
    }

    [Test]
    public void Normalize_MatchesFiniteDifferences()
    {
        var w = TestData.Affinity(GradientCheck.Points(15), false, Sigma).ToArray();
        var c = TestData.Weights(15, 15, 3);
        GradientCheck.Assert(w, (t, x) => t.Sum(t.Multiply(SpectralOps.Normalize(t, x, 1e-8), t.Constant(c))));
    }

    [Test]
    public void TopK_MatchesFiniteDifferences_OnSymmetricDirections()
    {
        var m = TestData.Normalize(TestData.Affinity(GradientCheck.Points(40), false, Sigma)).ToArray();
        var c = TestData.Weights(40, 3, 4);
        GradientCheck.Assert(m, (t, x) =>
        {
            var (u, lambda, _, _) = SpectralOps.TopK(t, x, new LanczosSettings(3, Tolerance: 1e-13, Seed: 0, MaxBlockProducts: 1000, Shift: 0), new EigenBackwardSettings(Tolerance: 1e-12, MaxIterations: 5000));
            return t.Add(t.Sum(t.Multiply(t.Square(u), t.Constant(c))), t.Scale(t.Sum(lambda), 0.7));
        }, symmetric: true);
    }

    [TestCase(60, AffinityKind.Rbf)]  // dense host eigen-solve in the forward pass
    [TestCase(160, AffinityKind.Rbf)] // block Lanczos in the forward pass
    [TestCase(60, AffinityKind.Cosine)]
    [TestCase(160, AffinityKind.Cosine)]
    public void WholeChain_SignInvariantLoss_MatchesFiniteDifferences(int n, AffinityKind kind)
    {
        var x = GradientCheck.Points(n);
        var c = TestData.Weights(n, 3, 6);
        GradientCheck.Assert(x, (t, v) =>
        {
            var (u, lambda) = Embedding(t.Device, 3, kind).FitTransform(v);
            return t.Add(t.Sum(t.Multiply(t.Square(u), t.Constant(c))), t.Sum(t.Square(lambda)));
        });
    }

    [Test]
    public void WholeChain_SpanOnlyLoss_MatchesFiniteDifferences()
    {
        // ⟨T, U·Uᵀ⟩ = Σ (T·U)∘U depends on span(U) only.
        var x = GradientCheck.Points(50);
        var tm = TestData.Affinity(GradientCheck.Points(50, seed: 9), false, 1).ToArray();
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
        var mm = TestData.Normalize(TestData.Affinity(GradientCheck.Points(n), false, Sigma));
        var (lam, v) = TestData.TopK(mm, n); // the whole spectrum, descending
        var rng = new Random(3);
        var uBar = Matrix<double>.Build.Dense(n, k, (_, _) => TestData.Gaussian(rng));
        var lamBar = Enumerable.Range(0, k).Select(_ => TestData.Gaussian(rng)).ToArray();
        var full = FullSpectrumAdjoint(v, lam, uBar, lamBar);

        var u = v.SubMatrix(0, n, 0, k);
        var mArr = mm.ToRowMajorArray();
        var (y, report) = EigenBackward.Solve(z => NcutKernels.Backends.Managed.SimdKernels.SquareTimes(mArr, n, z, z.Length / n), u.ToRowMajorArray(), lam[..k], uBar.ToRowMajorArray(), lamBar, n, k, 1e-14, 5000);
        var ym = Matrix<double>.Build.Dense(n, k, (r, c) => y[r * k + c]);
        var truncated = 0.5 * (ym * u.Transpose() + u * ym.Transpose());
        Assert.That(report.CgConverged, Is.True, report.ToString());
        Assert.That((truncated - full).FrobeniusNorm() / full.FrobeniusNorm(), Is.LessThan(1e-8));
    }

    /// <summary>
    /// The full-spectrum reference M̄ = V·(diag(λ̄) + F∘(VᵀV̄))·Vᵀ, V̄ = [Ū, 0], F over all pairs, symmetrized; V holds all
    /// eigenvectors (descending λ), Ū and λ̄ belong to the first k.
    /// </summary>
    private static Matrix<double> FullSpectrumAdjoint(Matrix<double> v, double[] lam, Matrix<double> uBar, double[] lamBar)
    {
        int n = v.RowCount, k = uBar.ColumnCount;
        var vBar = Matrix<double>.Build.Dense(n, n);
        vBar.SetSubMatrix(0, 0, uBar);
        var inner = v.Transpose() * vBar;
        var core = Matrix<double>.Build.Dense(n, n, (i, j) => i == j ? (i < k ? lamBar[i] : 0) : j < k ? inner[i, j] / (lam[j] - lam[i]) : 0);
        var full = v * core * v.Transpose();
        return 0.5 * (full + full.Transpose());
    }

    /// <summary>
    /// n×d standard normal features, rounded to float32 so both precisions see the same data. With d = 384 and σ = 256
    /// (what the degree rule picks) the graph is nearly complete: λ1 = 1, the rest of the spectrum lies below ~7e-5 and the
    /// gaps around λ20 are ~1e-7 (here, n = 256: λ20 − θ21 = 2.7e-7, smallest kept gap 2.5e-7).
    /// </summary>
    private static double[,] NearlyComplete(int n = 256, int d = 384)
    {
        return TestData.Grid<double>(n, d, 11, rng => (float)TestData.Gaussian(rng));
    }

    [TestCase(AffinityKind.Rbf)]
    [TestCase(AffinityKind.Cosine)]
    public void GradientReport_HasPhaseTimings(AffinityKind kind)
    {
        // RBF takes the fused "ncut-embedding" backward, cosine the unfused top-k one: both fill every phase.
        using var device = ComputeDevice.Create(DeviceKind.Cpu);
        using var tape = new Tape<double>(device);
        var v = tape.Input(GradientCheck.Points(40));
        var ncut = Embedding(device, 3, kind);
        var (u, _) = ncut.FitTransform(v);
        tape.Backward(tape.Sum(tape.Multiply(tape.Square(u), tape.Constant(TestData.Weights(40, 3, 4)))));
        var report = ncut.GradientReport!;
        var t = report.Timings!;
        Assert.That(t, Is.Not.Null);
        Assert.That(new[] { t.SubspaceMs, t.CgMs, t.CgProductMs, t.AffinityMs, t.TotalMs, t.OtherMs }, Is.All.GreaterThanOrEqualTo(0).And.All.Matches<double>(double.IsFinite));
        Assert.That(t.CgProductMs, Is.LessThanOrEqualTo(t.CgMs));
        Assert.That(t.CgMs, Is.GreaterThan(0), "CG ran (the loss rotates the basis)");
        Assert.That(t.SubspaceMs + t.CgMs + t.AffinityMs, Is.LessThanOrEqualTo(t.TotalMs * (1 + 1e-12)));
        Assert.That(report.ToString(), Does.Contain("backward ").And.Contain(" ms (subspace "));
    }

    [Test]
    public void NearlyCompleteGraph_Float32_GradientIsFinite_AndFlaggedAsNotMeaningful()
    {
        // Float32 Lanczos stops at its 1e-5 residual tolerance, far above the 1e-7 gaps, so the Ritz values sit below
        // unkept eigenvalues, P(λj − M)P is indefinite and CG meets non-positive curvature (it used to stop there silently).
        using var device = ComputeDevice.Create(DeviceKind.Cpu);
        using var tape = new Tape<float>(device);
        var v = tape.Input(TestData.ToFloat(NearlyComplete()));
        var ncut = new Ncut(device, new NcutOptions { EigenvectorCount = 20 });
        var (u, _) = ncut.FitTransform(v);
        tape.Backward(tape.Sum(u));
        var report = ncut.GradientReport!;
        Assert.That(v.Gradient.Cast<float>().All(float.IsFinite), Is.True, report.ToString());
        Assert.That(report.Reliable, Is.False, report.ToString());
        Assert.That(report.ResidualGapRatio, Is.GreaterThan(1), report.ToString()); // measured 31
        Assert.That(report.IndefiniteSystems, Is.GreaterThan(0), report.ToString()); // measured 6 of 20
        Assert.That(report.ToString(), Does.Contain("not positive definite").And.Contain("not determined"));
    }

    [Test]
    public void NearlyCompleteGraph_Float64_MatchesFullSpectrumReference()
    {
        // The same data in float64 with tight tolerances: CG converges (64 iterations: the gaps are ~1e-7 of a 7e-5 spectrum)
        // and dX matches the full-spectrum formula pulled back through the composed normalization and affinity rules.
        const int k = 20;
        const double sigma = 256;
        var x = NearlyComplete();
        int n = x.GetLength(0);
        using var device = ComputeDevice.Create(DeviceKind.Cpu);
        using var tape = new Tape<double>(device);
        var xv = tape.Input(x);
        var ncut = new Ncut(device, new NcutOptions { EigenvectorCount = k, Sigma = sigma, Tolerance = 1e-13, GradientTolerance = 1e-10 });
        var (u, _) = ncut.FitTransform(xv);
        tape.Backward(tape.Sum(u));
        var report = ncut.GradientReport!;
        Assert.That(report.Reliable, Is.True, report.ToString());

        var (lam, vecs) = TestData.TopK(TestData.Normalize(TestData.Affinity(x, false, sigma)), n);
        for (int c = 0; c < k; c++)
            if (vecs.Column(c).Sum() < 0)
                vecs.SetColumn(c, -vecs.Column(c));
        var mBar = FullSpectrumAdjoint(vecs, lam, Matrix<double>.Build.Dense(n, k, 1.0), new double[k]);
        using var refTape = new Tape<double>(device);
        var rx = refTape.Input(x);
        var m = SpectralOps.Normalize(refTape, SpectralOps.Affinity(refTape, rx, AffinityKind.Rbf, sigma), 1e-8);
        refTape.Backward(refTape.Sum(refTape.Multiply(m, refTape.Constant(mBar.ToArray()))));
        var g = TestData.Matrix(xv.Gradient);
        var gRef = TestData.Matrix(rx.Gradient);
        // Measured 3.5e-9: the forward residual (1e-13) over the gaps (~1e-7) bounds the eigenvectors' error.
        Assert.That((g - gRef).FrobeniusNorm() / gRef.FrobeniusNorm(), Is.LessThan(1e-6), report.ToString());
    }

    [Test]
    public void InaccurateEigenvalue_StopsThatSystemOnNonPositiveCurvature_AndSaysSo()
    {
        // λk handed to the backward below λk+1 (a forward pair not accurate enough for the gap): P(λk − M)P is indefinite.
        // With ūk along the (k+1)-th eigenvector CG meets pᵀAp < 0 at once; that system keeps ξk as it is, the others converge.
        const int n = 60, k = 4;
        var mm = TestData.Normalize(TestData.Affinity(GradientCheck.Points(n), false, Sigma));
        var (lam, v) = TestData.TopK(mm, n); // the whole spectrum, descending
        var u = v.SubMatrix(0, n, 0, k);
        var uBar = TestData.RandomMatrix(n, k, 2, TestData.Gaussian);
        uBar.SetColumn(k - 1, v.Column(k));
        var wrong = lam[..k];
        wrong[k - 1] = lam[k] - 0.01;
        var mArr = mm.ToRowMajorArray();
        var (y, report) = EigenBackward.Solve(z => NcutKernels.Backends.Managed.SimdKernels.SquareTimes(mArr, n, z, z.Length / n), u.ToRowMajorArray(), wrong,
            uBar.ToRowMajorArray(), null, n, k, 1e-12, 500, residuals: new double[k], next: lam[k]);
        Assert.That(y.All(double.IsFinite), Is.True);
        Assert.That(report.IndefiniteSystems, Is.EqualTo(1), report.ToString());
        Assert.That(report.Reliable, Is.False);
        Assert.That(report.Gap, Is.LessThan(0), report.ToString());
        Assert.That(report.ToString(), Does.Contain("not positive definite"));
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
        tape.Backward(tape.Sum(tape.Multiply(tape.Square(u), tape.Constant(TestData.Weights(45, 4, 1)))));
        Assert.That(v.Gradient.Cast<double>().All(double.IsFinite), Is.True);
        Assert.That(ncut.GradientReport!.RotationDependent, Is.True);
        Assert.That(ncut.GradientReport.Broadened, Is.GreaterThan(0), ncut.GradientReport.ToString());
        Assert.That(ncut.GradientReport.Reliable, Is.False);
    }

    [Test]
    public void Float32Gradient_MatchesFloat64Analytic()
    {
        var x = GradientCheck.Points(60);
        var c = TestData.Weights(60, 3, 6);
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
        var x = GradientCheck.Points(n);
        var c = TestData.Weights(n, k, 6);
        double[,] Grad<T>(DeviceKind kind, T[,] input) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
        {
            using var device = ComputeDevice.Create(kind);
            using var tape = new Tape<T>(device);
            var v = tape.Input(input);
            var ncut = new Ncut(device, new NcutOptions { EigenvectorCount = k, Sigma = Sigma });
            var (u, _) = ncut.FitTransform(v);
            tape.Backward(tape.Sum(tape.Multiply(tape.Square(u), tape.Constant(TestData.Convert<T>(c)))));
            Assert.That(ncut.GradientReport!.CgConverged, Is.True, $"{kind}: {ncut.GradientReport}");
            return TestData.ToDouble(v.Gradient);
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
        var v = tape.Input(GradientCheck.Points(60));
        var ncut = new Ncut(device, new NcutOptions { EigenvectorCount = 3, Sigma = Sigma, MaxGradientIterations = 1 });
        var (u, _) = ncut.FitTransform(v);
        tape.Backward(tape.Sum(tape.Multiply(tape.Square(u), tape.Constant(TestData.Weights(60, 3, 6)))));
        Assert.That(v.Gradient.Cast<double>().All(double.IsFinite), Is.True);
        Assert.That(ncut.GradientReport!.CgIterations, Is.EqualTo(1));
        Assert.That(ncut.GradientReport.CgConverged, Is.False);
        Assert.That(ncut.GradientReport.Reliable, Is.False);
        Assert.That(ncut.GradientReport.ToString(), Does.Contain("NOT converged"));
    }

    [TestCase(60, AffinityKind.Rbf)]
    [TestCase(150, AffinityKind.Rbf)]
    [TestCase(60, AffinityKind.Cosine)]
    [TestCase(150, AffinityKind.Cosine)]
    public void FusedBackward_EqualsTheComposedRules(int n, AffinityKind kind)
    {
        // Ncut.FitTransform(Variable) records one fused "ncut-embedding" op; composing the three ops by hand runs the
        // separate affinity, normalization and top-k rules (dense W̄ and M̄). Both must give the same dX.
        var x = GradientCheck.Points(n);
        var c = TestData.Weights(n, 3, 6);
        double[,] Grad(bool fused)
        {
            using var device = ComputeDevice.Create(DeviceKind.Cpu);
            using var tape = new Tape<double>(device);
            var v = tape.Input(x);
            Variable<double> u;
            if (fused)
                u = Embedding(device, 3, kind).FitTransform(v).eigenvectors;
            else
            {
                var w = SpectralOps.Affinity(tape, v, kind, Sigma);
                var m = SpectralOps.Normalize(tape, w, 1e-8);
                u = SpectralOps.TopK(tape, m, new LanczosSettings(3, Tolerance: 1e-13, Seed: 0, MaxBlockProducts: 1000, Shift: 1e-8), new EigenBackwardSettings(Tolerance: 1e-11, MaxIterations: 2000)).u;
            }
            // Cosine rows enter the fused op scaled into max|x| ∈ [1, 2), recorded as one exact power-of-two "scale".
            Assert.That(tape.Count, Is.EqualTo(fused ? (kind == AffinityKind.Cosine ? 2 : 1) : 3));
            tape.Backward(tape.Sum(tape.Multiply(tape.Square(u), tape.Constant(c))));
            return v.Gradient;
        }
        var a = TestData.Matrix(Grad(true));
        var b = TestData.Matrix(Grad(false));
        Assert.That((a - b).FrobeniusNorm() / b.FrobeniusNorm(), Is.LessThan(1e-9));
    }
}
