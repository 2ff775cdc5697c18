// Program: the `ncut` command line tool (demo, trace, embed, fit, transform, cluster, info), parsed by System.CommandLine.
using System.CommandLine;
using System.CommandLine.Help;
using System.Globalization;
using NcutKernels.Cli;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
return Commands.Run(args, Console.Out, Console.Error);

namespace NcutKernels.Cli
{
    /// <summary>
    /// Parses the command line and runs the command it names; every failure becomes one stderr line and an exit code
    /// (see <see cref="ExitCode"/>), a misuse of the command line that line followed by the command's usage.
    /// </summary>
    public static class Commands
    {
        /// <summary>What the tool does, the first line of `ncut --help`.</summary>
        private const string Description = "Normalized Cut spectral clustering on the GPU (CUDA) or the CPU: channel tracing of image features; embeddings, saved fits and clusters of .npy features";

        /// <summary>The end of `ncut --help`: how outputs are written, warnings, exit codes.</summary>
        private static readonly string[] Notes =
        [
            "outputs are checked before any work and appear only when the command succeeds (written under temporary",
            "names, then renamed into place); no output may overwrite an input or another output.",
            "results the library knows to be unreliable (eigenvectors not determined at the precision used, an unreliable",
            "gradient, a failed --accuracy-check) print \"ncut: warning: …\" on stderr with the remedy; --strict makes them errors.",
            "a misuse of the command line prints \"ncut: error: …\" on stderr, then the command's usage.",
            "exit codes: 0 done; 1 unexpected failure (the message names the exception type); 2 bad usage or input;",
            "            3 out of memory; 4 an unreliable result refused by --strict",
        ];

        /// <summary>
        /// Runs one command line; returns the process exit code. No arguments: the usage on stderr, exit code 2; `--help`
        /// or `-h` (after a command: its help) and `help [COMMAND]`: the help on stdout, exit code 0. A command line that
        /// does not parse, or whose options do not go together, prints "ncut: error: …" and the command's usage on stderr
        /// (exit code 2); whatever fails while the command runs becomes one stderr line (<see cref="ErrorReport"/>), never an exception.
        /// </summary>
        /// <exception cref="ArgumentNullException">An argument is null.</exception>
        public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
        {
            ArgumentNullException.ThrowIfNull(args);
            ArgumentNullException.ThrowIfNull(stdout);
            ArgumentNullException.ThrowIfNull(stderr);
            var root = Create();
            if (args.Length == 0)
            {
                CommandHelp.Write(root, stderr);
                return ExitCode.BadInput;
            }
            // Response files (@file) are off: an argument starting with @ is a path like any other.
            var result = root.Parse(args[0] == "help" ? [.. args[1..], "--help"] : args, new ParserConfiguration { ResponseFileTokenReplacer = null });
            var command = result.CommandResult.Command;
            // --help wins over any mistake beside it, as System.CommandLine's own help does, but for an unknown command's
            // (`ncut nosuch --help`, `ncut help nosuch`): the tool's help would hide the typo.
            if ((result.Action is not CommandHelp.PrintAction || command == root) && ParseErrors.Message(result) is { } mistake)
                return Misuse(mistake, command, stderr);
            try
            {
                // No default exception handler and no Ctrl+C handling: exceptions come here, and the exit code is the action's.
                return result.Invoke(new InvocationConfiguration
                {
                    Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null,
                });
            }
            catch (MisuseException e)
            {
                return Misuse(e.Message, command, stderr);
            }
            catch (Exception e)
            {
                var (code, line) = ErrorReport.Describe(e, command.Name);
                stderr.WriteLine(line);
                return code;
            }
        }

        /// <summary>The tool: its commands, and -h/--help on every one of them.</summary>
        internal static NcutCommand Create()
        {
            NcutCommand[] commands = [DemoCommand.Create(), TraceCommand.Create(), EmbedCommand.Create(), FitCommand.Create(), TransformCommand.Create(), ClusterCommand.Create(), InfoCommand.Create()];
            var root = new NcutCommand("ncut", Description,
                [.. commands.SelectMany(c => c.Synopsis), "ncut COMMAND --help   (the command's options, with their ranges and defaults)"], Notes);
            foreach (var command in commands)
                root.Add(command);
            root.Add(new HelpOption("--help", "-h") { Description = "print this help", Recursive = true, Action = new CommandHelp.PrintAction() });
            return root;
        }

        /// <summary>Prints "ncut: error: <paramref name="message"/>" and the usage of <paramref name="command"/> on <paramref name="stderr"/>; returns exit code 2.</summary>
        private static int Misuse(string message, Command command, TextWriter stderr)
        {
            stderr.WriteLine(ErrorReport.Line(message));
            CommandHelp.Write(command, stderr);
            return ExitCode.BadInput;
        }
    }
}
