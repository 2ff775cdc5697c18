// CommandHelp: the text `ncut --help` and `ncut COMMAND --help` print (usage lines, commands, options with range and default, notes), also printed as the usage after a misuse.
using System.CommandLine;
using System.CommandLine.Invocation;

namespace NcutKernels.Cli;

/// <summary>Writes the help of a command: its description, usage lines, subcommands, options (one line each) and notes.</summary>
internal static class CommandHelp
{
    /// <summary>Writes the help of <paramref name="command"/> to <paramref name="output"/>.</summary>
    public static void Write(Command command, TextWriter output)
    {
        var ncut = command as NcutCommand;
        output.WriteLine($"{Path(command)}: {command.Description}");
        output.WriteLine();
        output.WriteLine("usage:");
        foreach (var line in ncut?.Synopsis ?? [])
            output.WriteLine($"  {line}");
        if (command.Subcommands.Count > 0)
            Section(output, "commands:", command.Subcommands.Select(c => (c.Name, c.Description ?? "")));
        var options = command.Options.Concat(command.Parents.OfType<Command>().SelectMany(p => p.Options.Where(o => o.Recursive))).ToList();
        if (options.Count > 0)
            Section(output, "options:", options.Select(o => (Label(o), o.Description ?? "")));
        if (ncut?.Notes is { Count: > 0 } notes)
        {
            output.WriteLine();
            foreach (var line in notes)
                output.WriteLine(line);
        }
    }

    /// <summary>"ncut" or "ncut embed".</summary>
    private static string Path(Command command) =>
        command.Parents.OfType<Command>().FirstOrDefault() is { } parent ? $"{Path(parent)} {command.Name}" : command.Name;

    /// <summary>"-h, --help" or "--n-eig K": the aliases and name, and the value's placeholder when the option takes one.</summary>
    private static string Label(Option option) =>
        string.Join(", ", option.Aliases.Order(StringComparer.Ordinal).Append(option.Name))
        + (option.Arity.MaximumNumberOfValues > 0 && option.HelpName is { } value ? $" {value}" : "");

    /// <summary>The widest first column; a longer label has its description on the next line.</summary>
    private const int MaxLabelWidth = 30;

    /// <summary>A blank line, the title, then one row per item: the first column padded to the widest (at most <see cref="MaxLabelWidth"/>).</summary>
    private static void Section(TextWriter output, string title, IEnumerable<(string First, string Second)> rows)
    {
        var list = rows.ToList();
        int width = Math.Min(MaxLabelWidth, list.Max(r => r.First.Length));
        output.WriteLine();
        output.WriteLine(title);
        foreach (var (first, second) in list)
        {
            if (first.Length > width)
                output.WriteLine($"  {first}");
            output.WriteLine($"  {(first.Length > width ? "" : first).PadRight(width)}  {second}".TrimEnd());
        }
    }

    /// <summary>The action of the help option: the help of the command it was given to, on stdout; exit code 0, whatever else the command line holds.</summary>
    internal sealed class PrintAction : SynchronousCommandLineAction
    {
        /// <inheritdoc/>
        public override bool ClearsParseErrors => true;

        /// <inheritdoc/>
        public override int Invoke(ParseResult parseResult)
        {
            Write(parseResult.CommandResult.Command, parseResult.InvocationConfiguration.Output);
            return ExitCode.Success;
        }
    }
}
