// InfoCommand: `ncut info` — devices found, which one Auto picks, and why.
using NcutKernels.Runtime;

namespace NcutKernels.Cli;

internal static class InfoCommand
{
    /// <summary>The command: no options; prints <see cref="ComputeDevice.Probe"/>'s lines.</summary>
    public static NcutCommand Create()
    {
        var command = new NcutCommand("info", "the devices found, which one --device auto picks, and why", ["ncut info"]);
        command.SetAction((_, stdout, _) =>
        {
            foreach (var line in ComputeDevice.Probe())
                stdout.WriteLine(line);
            return ExitCode.Success;
        });
        return command;
    }
}
