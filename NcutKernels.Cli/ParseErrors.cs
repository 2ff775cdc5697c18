// ParseErrors: the one message `ncut` prints for a command line System.CommandLine could not parse.
using System.CommandLine;
using System.CommandLine.Parsing;

namespace NcutKernels.Cli;

/// <summary>Turns a failed <see cref="ParseResult"/> into one message that names the option or token at fault.</summary>
internal static class ParseErrors
{
    /// <summary>
    /// The first mistake of <paramref name="result"/>, or null when it has none, in this order: a token nothing takes (an
    /// unknown command, option or argument), an option given twice that takes at most one value (a flag too), then the
    /// parse's first error — an option without its value, a required option missing, or a value its parser refused (whose
    /// message already names the option).
    /// </summary>
    public static string? Message(ParseResult result)
    {
        var command = result.CommandResult.Command;
        if (result.UnmatchedTokens.Count > 0)
        {
            string token = result.UnmatchedTokens[0];
            if (token.StartsWith('-'))
                return $"unknown option '{token}'";
            return command.Parents.Any() ? $"unexpected argument '{token}'"
                : $"unknown command '{token}' ({string.Join(", ", command.Subcommands.Select(c => c.Name))})";
        }
        if (result.CommandResult.Children.OfType<OptionResult>().FirstOrDefault(o => o.IdentifierTokenCount > 1 && o.Option.Arity.MaximumNumberOfValues <= 1) is { } repeated)
            return $"option '{repeated.Option.Name}' given twice";
        if (result.Errors.Count == 0)
            return null;
        var error = result.Errors[0];
        return error.SymbolResult switch
        {
            OptionResult { IdentifierTokenCount: 0 } missing => $"missing required option {missing.Option.Name}",
            OptionResult { Tokens.Count: 0 } empty when empty.Option.Arity.MinimumNumberOfValues > 0 => $"option '{empty.Option.Name}' needs a value",
            _ => error.Message,
        };
    }
}
