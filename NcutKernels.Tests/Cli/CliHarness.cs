// CliHarness: runs an `ncut` command in-process through Commands.Run and returns its exit code, stdout and stderr.
using NcutKernels.Cli;

namespace NcutKernels.Tests.Cli;

internal static class CliHarness
{
    /// <summary>Runs `ncut args…` with captured output.</summary>
    public static (int code, string stdout, string stderr) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = Commands.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }
}
