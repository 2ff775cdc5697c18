// FitTransformCliTests: `ncut fit` in one process and `ncut transform` in another give what `ncut embed` gives, on the same device and across the managed CPU and ILGPU's CPU accelerator; refusals.
using NcutKernels.Cli;
using NcutKernels.IO;
using NcutKernels.Runtime;
using NcutKernels.Spectral;
using NUnit.Framework;
using static NcutKernels.Tests.Cli.CliHarness;

namespace NcutKernels.Tests.Cli;

[TestFixture]
public class FitTransformCliTests
{
    private string _dir = null!;

    [OneTimeSetUp]
    public void CreateFolder() => _dir = TempFolder.Create("ncut-fit-cli-tests-");

    [OneTimeTearDown]
    public void DeleteFolder() => Directory.Delete(_dir, recursive: true);

    private string File64(string name, double[,] x)
    {
        string path = Path.Combine(_dir, name);
        Npy.Write(path, x);
        return path;
    }

    private string File32(string name, double[,] x)
    {
        string path = Path.Combine(_dir, name);
        Npy.Write(path, TestData.ToFloat(x));
        return path;
    }

    private string Out(string name) => Path.Combine(_dir, name);

    /// <summary>Rows <paramref name="from"/>..<paramref name="to"/>−1 of x: a shard as a job would get it.</summary>
    private static double[,] Rows(double[,] x, int from, int to)
    {
        var r = new double[to - from, x.GetLength(1)];
        for (int i = from; i < to; i++)
            for (int j = 0; j < x.GetLength(1); j++)
                r[i - from, j] = x[i, j];
        return r;
    }

    private static NpyArray Read(string path) => Npy.Read(path);

    // Nyström forced (m = 300 landmarks of 1200): `ncut embed`'s output is the fit's propagation of its own rows, and
    // `ncut transform` runs that same propagation on the same saved numbers — on the same device kind and element type the
    // outputs are identical, bit for bit (no tolerance: any difference would be a different computation).
    [TestCase(true)]
    [TestCase(false)]
    public void FitAndTransform_InTwoProcesses_GiveWhatEmbedGives(bool float64)
    {
        var x = TestData.Blobs(1200, 6, 4, separation: 4, seed: 51);
        string tag = float64 ? "f8" : "f4";
        string input = float64 ? File64($"x-{tag}.npy", x) : File32($"x-{tag}.npy", x);
        string shard = float64 ? File64($"shard-{tag}.npy", Rows(x, 200, 500)) : File32($"shard-{tag}.npy", Rows(x, 200, 500));
        string fit = Out($"fit-{tag}.ncutfit"), embedded = Out($"embed-{tag}.npy"), all = Out($"all-{tag}.npy"), part = Out($"part-{tag}.npy");
        string[] options = ["--n-eig", "4", "--device", "cpu", "--path", "nystrom", "--seed", "7"];
        var fitted = CliProcess.Succeeds(["fit", "--input", input, "--fit", fit, .. options]);
        Assert.That(fitted, Does.Contain("ncut: path nystrom (1200 points, 300 landmarks").And.Contain($"ncut: wrote {fit}").And.Not.Contain("exact fit"));
        CliProcess.Succeeds("transform", "--fit", fit, "--input", input, "--output", all, "--device", "cpu");
        CliProcess.Succeeds("transform", "--fit", fit, "--input", shard, "--output", part, "--device", "cpu");
        CliProcess.Succeeds(["embed", "--input", input, "--output", embedded, .. options]);
        var (u, t, p) = (Read(embedded), Read(all), Read(part));
        Assert.That(t.IsDouble, Is.EqualTo(float64), "float64 stays float64 on --device cpu");
        Assert.That(t.Shape, Is.EqualTo(new[] { 1200, 4 }));
        if (float64)
        {
            Assert.That(t.Doubles, Is.EqualTo(u.Doubles), "the fit's own rows");
            Assert.That(p.Doubles, Is.EqualTo(u.Doubles!.Skip(200 * 4).Take(300 * 4)), "a shard of them");
        }
        else
        {
            Assert.That(t.Singles, Is.EqualTo(u.Singles), "the fit's own rows");
            Assert.That(p.Singles, Is.EqualTo(u.Singles!.Skip(200 * 4).Take(300 * 4)), "a shard of them");
        }
    }

    [TestCase("classic", null)]
    [TestCase("classic", "60")]
    [TestCase("renormalized", null)]
    [TestCase("ncutpytorch", null)]
    public void FitAndTransform_EachPropagation_GiveWhatEmbedGives(string propagation, string? classicLandmarks)
    {
        var x = TestData.Blobs(800, 5, 3, separation: 4, seed: 52);
        string input = File64("x-prop.npy", x), fit = Out($"fit-{propagation}-{classicLandmarks}.ncutfit");
        string embedded = Out($"embed-{propagation}-{classicLandmarks}.npy"), transformed = Out($"t-{propagation}-{classicLandmarks}.npy");
        string[] options = ["--n-eig", "3", "--device", "cpu", "--path", "nystrom", "--propagation", propagation,
            .. classicLandmarks is null ? Array.Empty<string>() : ["--classic-landmarks", classicLandmarks]];
        Assert.That(Run(["fit", "--input", input, "--fit", fit, .. options]).code, Is.EqualTo(0));
        Assert.That(Run("transform", "--fit", fit, "--input", input, "--output", transformed, "--device", "cpu").code, Is.EqualTo(0));
        Assert.That(Run(["embed", "--input", input, "--output", embedded, .. options]).code, Is.EqualTo(0));
        Assert.That(Read(transformed).Doubles, Is.EqualTo(Read(embedded).Doubles));
    }

    [Test]
    public void ExactPath_TransformOfTheFittedRows_IsTheEmbeddingWithinResidualOverLambda()
    {
        // On the exact path a transform is the classic extension of the exact eigenvectors U: for the fitted rows that is
        // U + (M·U − U·Λ)·Λ⁻¹, so it differs from `ncut embed`'s U by at most the eigen-solve's residual (float64: ≤ 1e-9) over λ_k
        // per entry (bound ×10 for the sum's rounding).
        var x = TestData.Blobs(500, 4, 3, separation: 4, seed: 53);
        string input = File64("x-exact.npy", x), fit = Out("fit-exact.ncutfit"), embedded = Out("embed-exact.npy"), lambda = Out("lambda-exact.npy"),
            transformed = Out("t-exact.npy");
        string[] options = ["--n-eig", "3", "--device", "cpu"];
        var (code, stdout, stderr) = Run(["fit", "--input", input, "--fit", fit, .. options]);
        Assert.That(code, Is.EqualTo(0), stderr);
        Assert.That(stdout, Does.Contain("ncut: path exact (500 points, all in the graph)")
            .And.Contain("ncut: exact fit: `ncut transform` extends its eigenvectors").And.Contain("--path nystrom"), "the user is told");
        Assert.That(Run("transform", "--fit", fit, "--input", input, "--output", transformed, "--device", "cpu").code, Is.EqualTo(0));
        Assert.That(Run(["embed", "--input", input, "--output", embedded, "--eigenvalues", lambda, .. options]).code, Is.EqualTo(0));
        double bound = 10 * 1e-9 / Read(lambda).Doubles!.Min();
        Tolerances.AssertClose(Read(transformed).Doubles!, Read(embedded).Doubles!, bound, 0, "transform vs embed", 3);
    }

    // Float32 kernels on ILGPU's CPU accelerator against the managed loops: the distances and weighted sums round differently
    // (~1e-7 on these entries of up to ~0.3), so the cross-device results agree to float32 rounding, not bit for bit; 1e-5 + 1e-4·|ref|
    // leaves two orders of room. Tiny sizes: the accelerator emulates every GPU thread.
    private const double CrossDeviceAtol = 1e-5, CrossDeviceRtol = 1e-4;

    private static double[,] Tiny() => TestData.Blobs(240, 4, 3, separation: 4, seed: 54);

    [Test]
    public void FitOnCpu_TransformOnIlgpuCpu_InAnotherProcess()
    {
        string input = File32("x-tiny.npy", Tiny()), fit = Out("fit-cpu.ncutfit"), embedded = Out("embed-cpu.npy"), transformed = Out("t-ilgpu.npy");
        string[] options = ["--n-eig", "3", "--path", "nystrom"];
        CliProcess.Succeeds(["fit", "--input", input, "--fit", fit, "--device", "cpu", .. options]);
        var stdout = CliProcess.Succeeds("transform", "--fit", fit, "--input", input, "--output", transformed, "--device", "ilgpu-cpu");
        Assert.That(stdout, Does.Contain("device: IlgpuCpu"));
        CliProcess.Succeeds(["embed", "--input", input, "--output", embedded, "--device", "cpu", .. options]);
        Tolerances.AssertClose(Read(transformed).Singles!, Read(embedded).Singles!, CrossDeviceAtol, CrossDeviceRtol, "ILGPU transform vs CPU embed", 3);
    }

    [Test]
    public void FitOnIlgpuCpu_TransformOnCpu_InAnotherProcess()
    {
        // The fit on ILGPU's CPU accelerator in this process (its FitTransform is what `ncut embed --device ilgpu-cpu` writes:
        // NystromCliTests), the transform by the tool on the managed CPU in a child process.
        var x = TestData.ToFloat(Tiny());
        string input = File32("x-tiny-2.npy", Tiny()), fit = Out("fit-ilgpu.ncutfit"), transformed = Out("t-cpu.npy");
        using var ilgpu = ComputeDevice.Create(DeviceKind.IlgpuCpu);
        using var fitted = new NystromNcut(ilgpu, new NcutOptions { EigenvectorCount = 3 }, new NystromOptions { Path = EmbeddingPath.Nystrom });
        var u = fitted.FitTransform(x);
        fitted.Save(fit);
        CliProcess.Succeeds("transform", "--fit", fit, "--input", input, "--output", transformed, "--device", "cpu");
        Tolerances.AssertClose(Read(transformed).Singles!, u.Cast<float>().ToArray(), CrossDeviceAtol, CrossDeviceRtol, "CPU transform vs ILGPU fit", 3);
    }

    [Test]
    public void Transform_Float64ShardOnAFloat32Fit_IsFloat64OnCpu_AndTheFitsConvertedValues()
    {
        var x = TestData.Blobs(400, 3, 3, separation: 4, seed: 55);
        string input32 = File32("x-mixed.npy", x), input64 = File64("x-mixed-64.npy", x), fit = Out("fit-mixed.ncutfit"), transformed = Out("t-mixed.npy");
        Assert.That(Run("fit", "--input", input32, "--fit", fit, "--n-eig", "3", "--device", "cpu", "--path", "nystrom").code, Is.EqualTo(0));
        Assert.That(Run("transform", "--fit", fit, "--input", input64, "--output", transformed, "--device", "cpu").code, Is.EqualTo(0));
        using var device = ComputeDevice.Create(DeviceKind.Cpu);
        using var loaded = NystromNcut.Load(device, fit);
        Assert.That(Read(transformed).ToMatrix<double>(), Is.EqualTo(loaded.Transform(x)));
    }

    [Test]
    public void Refusals_ExitTwo_MisuseWithTheUsage_BadInputInOneLine_AndWriteNothing()
    {
        var x = TestData.Blobs(300, 4, 3, separation: 4, seed: 56);
        string input = File64("x-refuse.npy", x), fit = Out("fit-refuse.ncutfit"), output = Out("u-refuse.npy");
        Assert.That(Run("fit", "--input", input, "--fit", fit, "--n-eig", "3", "--device", "cpu").code, Is.EqualTo(0));
        string wide = File64("x-wide.npy", TestData.Blobs(10, 5, 2, separation: 4, seed: 57)), vector = Out("vector.npy");
        Npy.Write(vector, new double[] { 1, 2, 3 });
        void Refused(string[] args, params string[] mentions)
        {
            var (code, _, stderr) = Run(args);
            Assert.That(code, Is.EqualTo(ExitCode.BadInput), $"{string.Join(' ', args)}: {stderr}");
            AssertOneErrorLine(stderr, mentions);
            Assert.That(File.Exists(output), Is.False, "no output");
        }
        void Misused(string[] args, params string[] mentions)
        {
            AssertMisuse(args, mentions);
            Assert.That(File.Exists(output), Is.False, "no output");
        }
        Misused(["transform", "--input", input, "--output", output], "missing required option --fit");
        Misused(["transform", "--fit", fit, "--output", output], "missing required option --input");
        Misused(["transform", "--fit", fit, "--input", input], "missing required option --output");
        Refused(["transform", "--fit", fit, "--input", wide, "--output", output, "--device", "cpu"], wide, "5 columns", fit, "d = 4");
        Refused(["transform", "--fit", fit, "--input", vector, "--output", output, "--device", "cpu"], vector, "2-D");
        Refused(["transform", "--fit", input, "--input", input, "--output", output, "--device", "cpu"], input, ".npy file, not an ncut fit file");
        Refused(["transform", "--fit", fit, "--input", fit, "--output", output, "--device", "cpu"], fit, "an ncut fit file, not a .npy file");
        Refused(["transform", "--fit", Out("missing.ncutfit"), "--input", input, "--output", output, "--device", "cpu"], "missing.ncutfit");
        Refused(["transform", "--fit", fit, "--input", input, "--output", input], "--output", "would overwrite --input");
        Refused(["transform", "--fit", fit, "--input", input, "--output", fit], "--output", "would overwrite --fit");
        Misused(["transform", "--fit", fit, "--input", input, "--output", output, "--n-eig", "3"], "unknown option '--n-eig'");
        Misused(["transform", "--fit", fit, "--input", input, "--output", output, "--device", "tpu"], "--device");
        Misused(["fit", "--input", input, "--n-eig", "3"], "missing required option --fit");
        Misused(["fit", "--input", input, "--fit", output], "missing required option --n-eig");
        Refused(["fit", "--input", input, "--fit", input, "--n-eig", "3"], "--fit", "would overwrite --input");
        Misused(["fit", "--input", input, "--fit", output, "--n-eig", "3", "--output", output], "unknown option '--output'");
        // A fit that fails (k ≥ n) leaves no fit file and no temporary file.
        string failed = Out("failed.ncutfit");
        var before = TempFolder.Entries(_dir);
        Refused(["fit", "--input", wide, "--fit", failed, "--n-eig", "10", "--device", "cpu"], wide, "has 10 points", "--n-eig 10");
        Assert.That(TempFolder.Entries(_dir), Is.EqualTo(before), "nothing written");
    }

    [Test]
    public void Usage_AndUnknownCommand_NameFitAndTransform()
    {
        var (code, stdout, _) = Run("--help");
        Assert.That(code, Is.EqualTo(0));
        Assert.That(stdout, Does.Contain("ncut fit --input X.npy --n-eig K --fit FIT").And.Contain("ncut transform --fit FIT --input SHARD.npy --output U.npy"));
        AssertMisuse(["fitt"], "unknown command 'fitt'", "fit, transform");
    }
}
