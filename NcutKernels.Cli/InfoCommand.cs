// InfoCommand: `ncut info` — devices found, which one Auto picks, and why.
using NcutKernels.Runtime;

namespace NcutKernels.Cli;

internal static class InfoCommand
{
    public static int Run(TextWriter stdout)
    {
        foreach (var line in ComputeDevice.Probe())
            stdout.WriteLine(line);
        return ExitCode.Success;
    }
}
