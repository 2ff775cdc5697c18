// CliUsageTests: `ncut --help` and `ncut COMMAND --help` (commands, every option with its range or default, enum names in lower case), and misuse — the error naming the option, then the usage, exit code 2.
using NcutKernels.Cli;
using NUnit.Framework;
using static NcutKernels.Tests.Cli.CliHarness;

namespace NcutKernels.Tests.Cli;

[TestFixture]
public class CliUsageTests
{
    private static readonly string[] TraceOptions =
        ["--image", "--out", "--clusters", "--n-eig", "--top", "--tiles", "--layer", "--model", "--kway", "--affinity", "--sigma", "--quantile",
         "--device", "--seed", "--strict", "--display-size"];

    private static readonly string[] FeatureSourceOptions =
        ["--features", "--onnx", "--onnx-output", "--input-size", "--mean", "--std", "--channel-order", "--pixel-range", "--drop-tokens"];

    private static readonly string[] EmbedOptions =
        ["--input", "--output", "--eigenvalues", "--n-eig", "--affinity", "--sigma", "--quantile", "--device", "--seed", "--path", "--propagation",
         "--sampling", "--distance-precision", "--classic-landmarks", "--accuracy-check", "--strict", "--vjp", "--eigenvalue-vjp", "--grad-output"];

    private static readonly string[] ClusterOptions =
        ["--input", "--clusters", "--labels", "--scores", "--kway", "--n-eig", "--affinity", "--sigma", "--quantile", "--device", "--seed", "--path",
         "--propagation", "--sampling", "--distance-precision", "--classic-landmarks", "--accuracy-check", "--strict"];

    private static readonly string[] FitOptions =
        ["--input", "--fit", "--n-eig", "--affinity", "--sigma", "--quantile", "--device", "--seed", "--path", "--propagation", "--sampling",
         "--distance-precision", "--classic-landmarks", "--accuracy-check", "--strict"];

    private static IEnumerable<TestCaseData> CommandOptions()
    {
        yield return new TestCaseData("demo", TraceOptions);
        yield return new TestCaseData("trace", TraceOptions.Concat(FeatureSourceOptions).ToArray());
        yield return new TestCaseData("embed", EmbedOptions);
        yield return new TestCaseData("fit", FitOptions);
        yield return new TestCaseData("transform", new[] { "--fit", "--input", "--output", "--device" });
        yield return new TestCaseData("cluster", ClusterOptions);
        yield return new TestCaseData("info", Array.Empty<string>());
    }

    /// <summary>The entries under "options:" of a help text: each option's label line and its description (on the same line or the next).</summary>
    private static Dictionary<string, string> OptionEntries(string help)
    {
        var lines = help.Split('\n').Select(l => l.TrimEnd('\r')).SkipWhile(l => l != "options:").Skip(1).TakeWhile(l => l.Length > 0).ToList();
        var entries = new Dictionary<string, string>();
        for (int i = 0; i < lines.Count; i++)
        {
            if (!lines[i].StartsWith("  -", StringComparison.Ordinal))
                continue;
            string label = lines[i].Trim();
            string name = label.Split(' ')[0].TrimEnd(',');
            entries[label.StartsWith("-h,", StringComparison.Ordinal) ? "--help" : name] =
                i + 1 < lines.Count && !lines[i + 1].StartsWith("  -", StringComparison.Ordinal) ? label + " " + lines[i + 1].Trim() : label;
        }
        return entries;
    }

    [TestCaseSource(nameof(CommandOptions))]
    public void CommandHelp_ExitsZero_AndListsEveryOption_WithItsDefaultOrRequired(string command, string[] options)
    {
        var (code, stdout, stderr) = Run(command, "--help");
        Assert.That(code, Is.EqualTo(ExitCode.Success), stderr);
        Assert.That(stderr, Is.Empty);
        Assert.That(stdout, Does.StartWith($"ncut {command}: "), "the command's description first");
        Assert.That(stdout, Does.Contain($"usage:{Environment.NewLine}  ncut {command}"));
        var entries = OptionEntries(stdout);
        Assert.That(entries.Keys, Is.EquivalentTo(options.Append("--help")), stdout);
        foreach (var (name, entry) in entries.Where(e => e.Key != "--help"))
            Assert.That(entry, Does.Contain("(").And.Match(@"\b(default|required)\b"), $"{name}: a one-line description with its range and default");
    }

    [TestCase("embed", "--device auto|cuda|cpu|ilgpu-cpu", "--affinity rbf|cosine", "--path auto|exact|nystrom", "--sampling uniform|farthestpoint",
        "--distance-precision tf32x3|fp32|tf32")]
    [TestCase("trace", "--layer layer2|layer3|layer4", "--kway axisalign|sphericalkmeans", "--channel-order rgb|bgr", "(default cosine)")]
    [TestCase("embed", "--n-eig K", "(≥ 1, required)", "(any integer, default 0)")]
    [TestCase("cluster", "--n-eig K", "(≥ 1, default --clusters)", "--clusters C", "(≥ 2, required)", "--kway axisalign|sphericalkmeans")]
    [TestCase("trace", "--n-eig K", "(2..100, default 10)", "--display-size PX", "(64..8192, default 1024)")]
    public void CommandHelp_ShowsValueNamesRangesAndDefaults(string command, params string[] texts)
    {
        var (_, stdout, _) = Run(command, "--help");
        foreach (var text in texts)
            Assert.That(stdout, Does.Contain(text));
    }

    [Test]
    public void RootHelp_ListsEveryCommand_WithItsUsage()
    {
        var (code, stdout, stderr) = Run("--help");
        Assert.That(code, Is.EqualTo(ExitCode.Success), stderr);
        var lines = stdout.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        var listed = lines.SkipWhile(l => l != "commands:").Skip(1).TakeWhile(l => l.Length > 0).Select(l => l.Trim().Split(' ')[0]);
        Assert.That(listed, Is.EqualTo(new[] { "demo", "trace", "embed", "fit", "transform", "cluster", "info" }));
        foreach (var command in new[] { "demo", "trace", "embed", "fit", "transform", "cluster", "info" })
            Assert.That(lines, Has.Some.StartsWith($"  ncut {command}"), $"a usage line of {command}");
        Assert.That(stdout, Does.Contain("ncut COMMAND --help"));
    }

    [TestCase("help", "embed")]
    [TestCase("embed", "-h")]
    [TestCase("embed", "--help", "--no-such-option")]
    [TestCase("embed", "--n-eig", "3", "--help")]
    public void HelpAnywhere_PrintsTheCommandsHelp(params string[] args)
    {
        var (code, stdout, stderr) = Run(args);
        Assert.That(code, Is.EqualTo(ExitCode.Success), stderr);
        Assert.That(stderr, Is.Empty);
        Assert.That(stdout, Is.EqualTo(Run("embed", "--help").stdout));
    }

    [TestCase("help", "nosuch")]
    [TestCase("nosuch", "--help")]
    [TestCase("help", "embedd")]
    public void HelpOfAnUnknownCommand_IsAMisuse_NamingIt(params string[] args) =>
        AssertMisuse(args, $"unknown command '{args.Single(a => a is not ("help" or "--help"))}'");

    [TestCase("embed --input x.npy --output u.npy --n-eig 3 --verbose", "unknown option '--verbose'")]
    [TestCase("trace --image a.jpg --out dir --no-such-option 1", "unknown option '--no-such-option'")]
    [TestCase("demo --frobnicate", "unknown option '--frobnicate'")]
    [TestCase("info --all", "unknown option '--all'")]
    [TestCase("embed --input x.npy --output u.npy --n-eig 3 extra", "unexpected argument 'extra'")]
    [TestCase("embed --input x.npy --output u.npy --n-eig 3 --device 1", "--device: '1' is not one of auto|cuda|cpu|ilgpu-cpu")]
    [TestCase("embed --input x.npy --output u.npy --n-eig 3 --path exact,nystrom", "--path: 'exact,nystrom'")]
    [TestCase("demo --kway 0", "--kway: '0' is not one of axisalign|sphericalkmeans")]
    [TestCase("embed --input x.npy --output u.npy", "missing required option --n-eig")]
    [TestCase("embed --n-eig 3 --output u.npy", "missing required option --input")]
    [TestCase("trace --image a.jpg", "missing required option --out")]
    [TestCase("embed --input x.npy --output u.npy --n-eig 3 --strict --strict", "option '--strict' given twice")]
    [TestCase("embed --input x.npy --input y.npy --output u.npy --n-eig 3", "option '--input' given twice")]
    [TestCase("demo --top 3 --top 3", "option '--top' given twice")]
    [TestCase("trace --onnx m.onnx --onnx-output x --image a.jpg --out dir --mean 1,2,3 --mean 4,5,6", "option '--mean' given twice")]
    [TestCase("embed --input x.npy --output u.npy --n-eig 3 --sigma abc", "--sigma: 'abc' is not a number")]
    [TestCase("embed --input x.npy --output u.npy --n-eig 3 --quantile 1", "--quantile: 1 is not in (0, 1)")]
    [TestCase("embed --input x.npy --output u.npy --n-eig 0", "--n-eig: 0 is below 1")]
    [TestCase("embed --input x.npy --output u.npy --n-eig 3 --classic-landmarks 0", "--classic-landmarks: 0 is below 1")]
    [TestCase("embed --input x.npy --output u.npy --n-eig 3 --grad-output dx.npy", "--grad-output", "--vjp")]
    [TestCase("trace --image a.jpg --out dir --n-eig 101", "--n-eig: 101 is outside 2..100")]
    [TestCase("trace --image a.jpg --out dir --strict yes", "unexpected argument 'yes'")]
    public void Misuse_PrintsTheErrorNamingIt_ThenTheUsage(string commandLine, params string[] mentions)
    {
        AssertMisuse(commandLine.Split(' '), mentions);
    }

    [Test]
    public void NoArguments_PrintsTheToolsUsage_OnStderr()
    {
        var (code, stdout, stderr) = Run();
        Assert.That(code, Is.EqualTo(ExitCode.BadInput));
        Assert.That(stdout, Is.Empty);
        Assert.That(stderr, Is.EqualTo(Run("--help").stdout));
    }

    [Test]
    public void RepeatableImage_KeepsEveryValue_WhileOtherOptionsRefuseASecond()
    {
        // Two images reach the image check (the first missing one is named), where --out given twice never gets past the parse.
        var (code, _, stderr) = Run("trace", "--image", "first-missing.jpg", "--image", "second-missing.jpg", "--out", "dir");
        Assert.That(code, Is.EqualTo(ExitCode.BadInput));
        AssertOneErrorLine(stderr, "--image", "first-missing.jpg");
        AssertMisuse(["trace", "--image", "a.jpg", "--out", "one", "--out", "two"], "option '--out' given twice");
    }
}
