// NcutCommand: a command of `ncut` — a System.CommandLine command with the usage lines and notes its help prints, run with the caller's stdout and stderr.
using System.CommandLine;

namespace NcutKernels.Cli;

/// <summary>A command of the tool, with what <see cref="CommandHelp"/> prints about it besides its options.</summary>
internal sealed class NcutCommand : Command
{
    /// <summary>The command <paramref name="name"/>; <paramref name="synopsis"/>: its usage lines, as "ncut NAME --option VALUE [options]".</summary>
    public NcutCommand(string name, string description, IReadOnlyList<string> synopsis, IReadOnlyList<string>? notes = null)
        : base(name, description)
    {
        Synopsis = synopsis;
        Notes = notes ?? [];
    }

    /// <summary>The usage lines, printed under "usage:" by this command's help (and, for the tool's commands, by `ncut --help`).</summary>
    public IReadOnlyList<string> Synopsis { get; }

    /// <summary>Lines printed at the end of the help, after the options.</summary>
    public IReadOnlyList<string> Notes { get; }

    /// <summary>
    /// Runs <paramref name="run"/> when the command is invoked, with the parse result and the stdout and stderr
    /// <see cref="Commands.Run"/> was given; it returns the exit code.
    /// </summary>
    public void SetAction(Func<ParseResult, TextWriter, TextWriter, int> run) =>
        SetAction(result => run(result, result.InvocationConfiguration.Output, result.InvocationConfiguration.Error));
}
