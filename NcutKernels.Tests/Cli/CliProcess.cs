// CliProcess: runs the built `ncut` tool (ncut.dll beside the test binaries) in a child process, as a job runner would, and returns its exit code and output.
using System.Diagnostics;
using NUnit.Framework;

namespace NcutKernels.Tests.Cli;

internal static class CliProcess
{
    /// <summary>The tool the tests run: the ncut.dll the build copies beside the test assembly.</summary>
    private static string Tool
    {
        get
        {
            string dll = Path.Combine(AppContext.BaseDirectory, "ncut.dll");
            Assert.That(File.Exists(dll), Is.True, $"{dll} is built with the tests");
            return dll;
        }
    }

    /// <summary>Runs `dotnet ncut.dll args…` (3 minutes at most) and returns its exit code, stdout and stderr.</summary>
    public static (int code, string stdout, string stderr) Run(params string[] args) =>
        ChildProcess.Run(new ProcessStartInfo("dotnet", [Tool, .. args]), TimeSpan.FromMinutes(3));

    /// <summary>As <see cref="Run"/>, asserting exit code 0.</summary>
    public static string Succeeds(params string[] args)
    {
        var (code, stdout, stderr) = Run(args);
        Assert.That(code, Is.EqualTo(0), $"ncut {string.Join(' ', args)}:\n{stdout}\n{stderr}");
        return stdout;
    }
}
