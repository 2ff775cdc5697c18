// CliHarness: runs an `ncut` command in-process through Commands.Run and returns its exit code, stdout and stderr; checks the one-line error, and the error then usage of a misuse.
using NcutKernels.Cli;
using NcutKernels.Tests.IO;
using NUnit.Framework;

namespace NcutKernels.Tests.Cli;

internal static class CliHarness
{
    /// <summary>The demo image (ReferenceData/demo.jpg, copied next to the test assembly) that the trace and ResNet tests read.</summary>
    public static readonly string DemoImage = Path.Combine(AppContext.BaseDirectory, "ReferenceData", "demo.jpg");

    /// <summary>Runs `ncut args…` with captured output.</summary>
    public static (int code, string stdout, string stderr) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = Commands.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>
    /// Runs `ncut args…` (writing to <paramref name="outDir"/>) and asserts a refusal: exit code <see cref="ExitCode.BadInput"/>,
    /// one error line mentioning each of <paramref name="mentions"/>, no stack trace, and no output folder.
    /// </summary>
    public static void AssertRefused(string[] args, string outDir, params string[] mentions)
    {
        var (code, _, stderr) = Run(args);
        Assert.That(code, Is.EqualTo(ExitCode.BadInput), stderr);
        AssertOneErrorLine(stderr, mentions);
        Assert.That(stderr, Does.Not.Contain("   at "), "no stack trace");
        Assert.That(Directory.Exists(outDir), Is.False, "no output folder on error");
    }

    /// <summary>
    /// Runs `ncut args…` and asserts a misuse of the command line: exit code <see cref="ExitCode.BadInput"/>, nothing on stdout,
    /// and on stderr the printable line "ncut: error: …" mentioning each of <paramref name="mentions"/>, then exactly the
    /// <see cref="Usage"/> of the command <paramref name="args"/> names.
    /// </summary>
    public static void AssertMisuse(string[] args, params string[] mentions)
    {
        var (code, stdout, stderr) = Run(args);
        Assert.That(code, Is.EqualTo(ExitCode.BadInput), stderr);
        Assert.That(stdout, Is.Empty, "a misuse is refused before any work");
        int end = stderr.IndexOf('\n', StringComparison.Ordinal) + 1;
        Assert.That(end, Is.GreaterThan(0), $"an error line first, got: {stderr}");
        AssertOneErrorLine(stderr[..end], mentions);
        Assert.That(stderr[end..], Is.EqualTo(Usage(args[0])), "the command's usage follows the error line");
    }

    /// <summary>The usage printed after a misuse of `ncut <paramref name="command"/> …`: what `ncut COMMAND --help` prints, or `ncut --help` when there is no such command.</summary>
    public static string Usage(string command)
    {
        var (code, help, _) = Run(command, "--help");
        return code == ExitCode.Success ? help : Run("--help").stdout;
    }

    /// <summary>Asserts that <paramref name="stderr"/> is exactly one printable line "ncut: error: …" mentioning each of <paramref name="mentions"/>; returns it.</summary>
    public static string AssertOneErrorLine(string stderr, params string[] mentions)
    {
        Assert.That(stderr, Does.EndWith("\n"), "the error line ends with a newline");
        var lines = stderr.TrimEnd('\r', '\n').Split('\n');
        Assert.That(lines, Has.Length.EqualTo(1), $"exactly one stderr line, got: {stderr}");
        Assert.That(lines[0], Does.StartWith("ncut: error:"));
        PrintableLine.Assert(lines[0], "stderr");
        foreach (var m in mentions)
            Assert.That(lines[0], Does.Contain(m));
        return lines[0];
    }
}
