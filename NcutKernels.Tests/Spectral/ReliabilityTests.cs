// ReliabilityTests: unreliable eigen-solves and gradients are said out loud — the report's resolution, NcutOptions.Log / OnWarning, strict mode, the CLI's stderr and exit code.
using NcutKernels.Autodiff;
using NcutKernels.IO;
using NcutKernels.Runtime;
using NcutKernels.Solvers;
using NcutKernels.Spectral;
using NcutKernels.Tests.Cli;
using NUnit.Framework;

namespace NcutKernels.Tests.Spectral;

public class ReliabilityTests : CpuFixture
{
    [Test]
    public void LanczosReport_Resolution_ComparesEachResidualWithItsGap()
    {
        var report = new LanczosReport(3, 0, 16, 48, [1e-6, 1e-3, 2e-3], 1e-2, false, 0, 0, 0, 0) { Values = [1, 0.5, 0.49], NextValue = 0.1 };
        // gaps: 0.5 (to 0.5), 0.01, 0.01 → ratios 2e-6, 0.1, 0.2; the span's gap λ3 − λ4 = 0.39.
        Assert.That(report.ResidualGapRatios, Is.EqualTo(new[] { 2e-6, 0.1, 0.2 }).Within(1e-12));
        Assert.That(report.ResolvedPairs, Is.EqualTo(2));
        Assert.That(report.SpanResidualGapRatio, Is.EqualTo(2e-3 / 0.39).Within(1e-15));
        Assert.That(report.SpanResolved);
        Assert.That(report.ToString(), Does.Contain("2 of 3 eigenpairs resolved").And.Contain("their span resolved"));
        var collapsed = report with { NextValue = 0.49 };
        Assert.That(collapsed.SpanResidualGapRatio, Is.EqualTo(double.PositiveInfinity));
        Assert.That(collapsed.SpanResolved, Is.False);
        Assert.That(collapsed.ToString(), Does.Contain("their span NOT resolved"));
    }

    [Test]
    public void QuickStart_Float32_WarnsThatTheEigenvectorsAreNotDetermined_Float64_ResolvesThem()
    {
        // The channel-tracing tutorial's quick start: standard-normal features (n × 300). Their normalized affinity's λ2…λ20 lie ~1e-7 apart near 2e-5.
        var x = TestData.GaussianGrid(3000, 300, 1);
        var warnings = new List<NcutWarning>();
        var log = new StringWriter();
        var ncut = new Ncut(Cpu, new NcutOptions { EigenvectorCount = 20, Log = log, OnWarning = warnings.Add });
        ncut.FitTransform(TestData.ToFloat(x));
        TestContext.Out.WriteLine(ncut.Report);
        Assert.That(ncut.Report!.Converged, "the residuals meet the tolerance: 'converged' alone would look fine");
        Assert.That(ncut.Report.SpanResolved, Is.False);
        Assert.That(warnings, Has.Count.EqualTo(1));
        Assert.That(warnings[0].Source, Is.EqualTo("eigen-solve"));
        Assert.That(warnings[0].Message, Does.Contain("not determined in float32"));
        Assert.That(warnings[0].Remedy, Does.Contain("float64 on the CPU backend").And.Contain("smaller σ").And.Contain("fewer eigenvectors"));
        Assert.That(log.ToString(), Does.Contain("warning: eigen-solve:"));

        var quiet = new List<NcutWarning>();
        var wide = new Ncut(Cpu, new NcutOptions { EigenvectorCount = 20, OnWarning = quiet.Add });
        wide.FitTransform(x);
        TestContext.Out.WriteLine(wide.Report);
        Assert.That(wide.Report!.SpanResolved, "float64 resolves the same spectrum");
        Assert.That(quiet, Is.Empty);

        // A strict instance that fitted something resolved before refuses the unresolved fit and keeps nothing of either.
        var strict = new Ncut(Cpu, new NcutOptions { EigenvectorCount = 20, Strict = true });
        strict.FitTransform(TestData.Blobs(300, 4, 4, separation: 6, seed: 7));
        strict.KwayFit(4);
        Assert.That(strict.Eigenvalues, Has.Length.EqualTo(20));
        Assert.That(() => strict.FitTransform(TestData.ToFloat(x)), Throws.InstanceOf<NcutReliabilityException>()
            .With.Message.Contains("not determined in float32").And.Message.Contains("NcutOptions.Strict"));
        Assert.That(strict.Eigenvalues, Is.Empty, "a refused fit returns nothing and keeps nothing");
        Assert.That(strict.Sigma, Is.NaN);
        Assert.That(strict.Report, Is.Null);
        Assert.That(strict.Timings, Is.Null);
        Assert.That(() => strict.KwayFit(4), Throws.InvalidOperationException, "no eigenvectors of the previous fit linger");
    }

    [Test]
    public void QuickStartGradient_IsSaidToBeUnreliable_AndTimingsDoNotLinger()
    {
        var x = TestData.ToFloat(TestData.GaussianGrid(600, 300, 2));
        var warnings = new List<NcutWarning>();
        var ncut = new Ncut(Cpu, new NcutOptions { EigenvectorCount = 20, OnWarning = warnings.Add });
        ncut.FitTransform(x);
        Assert.That(ncut.Timings, Is.Not.Null);
        using var tape = new Tape<float>(Cpu);
        var v = tape.Input(x);
        var (u, _) = ncut.FitTransform(v);
        Assert.That(ncut.Timings, Is.Null, "a differentiable fit does not keep the previous fit's timings");
        tape.Backward(NcutKernels.Ops.TapeOps.Sum(tape, u));
        TestContext.Out.WriteLine(ncut.GradientReport);
        Assert.That(ncut.GradientReport!.Reliable, Is.False);
        Assert.That(warnings.Select(w => w.Source), Does.Contain("gradient"));
        Assert.That(warnings.Single(w => w.Source == "gradient").Message, Does.Contain("not reliable"));
    }

    [Test]
    public void StrictGradient_ThrowsFromBackward_WhenOnlyTheGradientIsUnreliable()
    {
        // Well-separated blobs: the forward is resolved; one CG iteration cannot solve the backward's systems, so only the
        // gradient is unreliable.
        var x = TestData.Blobs(200, 4, 4, separation: 6, seed: 3);
        var options = new NcutOptions { EigenvectorCount = 4, Strict = true, MaxGradientIterations = 1 };
        var ncut = new Ncut(Cpu, options);
        using var tape = new Tape<double>(Cpu);
        var (u, _) = ncut.FitTransform(tape.Input(x));
        Assert.That(ncut.Report!.SpanResolved, "premise: the forward passes strict mode");
        var c = TestData.Weights(200, 4, 5);
        var error = Assert.Throws<NcutReliabilityException>(() =>
            tape.Backward(NcutKernels.Ops.TapeOps.Sum(tape, NcutKernels.Ops.TapeOps.Multiply(tape, NcutKernels.Ops.TapeOps.Square(tape, u), tape.Constant(c)))))!;
        Assert.That(error.Warning.Source, Is.EqualTo("gradient"));
        Assert.That(error.Warning.Remedy, Does.Contain("MaxGradientIterations"));
        TestContext.Out.WriteLine(error.Message);
    }

    [Test]
    public void Cli_PrintsTheWarningOnStderr_AndStrictRefusesWithExitCode4()
    {
        var dir = Directory.CreateTempSubdirectory("ncut-reliability-");
        try
        {
            string input = Path.Combine(dir.FullName, "x.npy"), output = Path.Combine(dir.FullName, "u.npy");
            Npy.Write(input, TestData.ToFloat(TestData.GaussianGrid(1500, 300, 4)));
            var (code, stdout, stderr) = CliHarness.Run("embed", "--input", input, "--n-eig", "20", "--output", output, "--device", "cpu");
            Assert.That(code, Is.EqualTo(0), stderr);
            Assert.That(stderr, Does.StartWith("ncut: warning: eigen-solve: the 20 eigenvectors are not determined in float32"));
            Assert.That(stderr.TrimEnd('\n').Split('\n'), Has.Length.EqualTo(1), "one warning line");
            Assert.That(stdout, Does.Contain("eigenpairs resolved"), "the forward report states the resolution");
            Assert.That(File.Exists(output));
            File.Delete(output);

            (code, _, stderr) = CliHarness.Run("embed", "--input", input, "--n-eig", "20", "--output", output, "--device", "cpu", "--strict");
            Assert.That(code, Is.EqualTo(4));
            CliHarness.AssertOneErrorLine(stderr.Split('\n').Last(l => l.Length > 0) + "\n", "not determined in float32", "NcutOptions.Strict");
            Assert.That(File.Exists(output), Is.False, "a refused result writes nothing");
        }
        finally
        {
            dir.Delete(true);
        }
    }
}
