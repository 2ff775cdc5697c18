// ErrorReport: turns any exception that ends a command into one printable stderr line and an exit code.
using NcutKernels.IO;

namespace NcutKernels.Cli;

/// <summary>The exit codes of `ncut`.</summary>
internal static class ExitCode
{
    /// <summary>The command did what was asked.</summary>
    public const int Success = 0;

    /// <summary>An unexpected failure (a bug or an environment problem): the line names the exception type.</summary>
    public const int Failure = 1;

    /// <summary>Bad usage or bad input: a wrong option, an unreadable or malformed file, an output that cannot be written.</summary>
    public const int BadInput = 2;

    /// <summary>Not enough memory (host or device) for the request.</summary>
    public const int OutOfMemory = 3;

    /// <summary>--strict: a result was not reliable at the precision used (the line says why and what would resolve it).</summary>
    public const int Unreliable = 4;
}

/// <summary>Maps the exception that ended a command to its exit code and the one line "ncut: error: …" printed on stderr.</summary>
internal static class ErrorReport
{
    /// <summary>The longest message printed (characters), so that a message echoing input stays one readable line.</summary>
    private const int MaxMessageChars = 1000;

    /// <summary>The exit code and the line for <paramref name="error"/>, raised by the command named <paramref name="command"/>.</summary>
    public static (int Code, string Line) Describe(Exception error, string command)
    {
        var e = Unwrap(error);
        return e switch
        {
            OutOfMemoryException => (ExitCode.OutOfMemory, Line($"out of memory: {e.Message}", $" — {MemoryAdvice(command)}")),
            Spectral.NcutReliabilityException => (ExitCode.Unreliable, Line(e.Message)),
            ArgumentException a => (ExitCode.BadInput, Line(WithoutParameterName(a))),
            UsageException or InvalidDataException or IOException or NotSupportedException or UnauthorizedAccessException
                => (ExitCode.BadInput, Line(e.Message)),
            _ => (ExitCode.Failure, Line(e.Message, $" ({e.GetType().Name})")),
        };
    }

    /// <summary>"ncut: error: " and <paramref name="message"/> as one printable line (at most <see cref="MaxMessageChars"/> of it), then <paramref name="suffix"/>.</summary>
    public static string Line(string message, string suffix = "") =>
        $"ncut: error: {PrintableText.Excerpt(message.ReplaceLineEndings(" ").Trim(), MaxMessageChars)}{suffix}";

    /// <summary>
    /// The message of a library argument check without the " (Parameter 'name')" .NET adds to it: the message names the
    /// bad value already, and the parameter is the library's, not an option the user typed.
    /// </summary>
    private static string WithoutParameterName(ArgumentException e)
    {
        string message = e.ParamName is { } name ? e.Message.Replace($" (Parameter '{name}')", "", StringComparison.Ordinal) : e.Message;
        // An out-of-range check's value, which .NET appends on a line of its own, is said by the message already.
        return e is ArgumentOutOfRangeException { ActualValue: { } value } && message.EndsWith($"Actual value was {value}.", StringComparison.Ordinal)
            ? message[..^$"Actual value was {value}.".Length].TrimEnd()
            : message;
    }

    /// <summary>What to try when a command runs out of memory.</summary>
    private static string MemoryAdvice(string command) => command switch
    {
        "embed" or "cluster" or "fit" => "try --path nystrom (landmarks instead of the n × n graph), fewer points, or a machine with more memory",
        "transform" => "split the input into smaller shards, or try a machine with more memory",
        "trace" or "demo" => "try fewer or smaller images, --tiles 1, or a machine with more memory",
        _ => "free memory or try a machine with more memory",
    };

    /// <summary>The exception that says what went wrong, under the wrappers that only say where (a lone inner exception of a parallel loop, a type initializer, a reflection call).</summary>
    private static Exception Unwrap(Exception e)
    {
        while (true)
        {
            switch (e)
            {
                case AggregateException a when a.Flatten().InnerExceptions is [var only]:
                    e = only;
                    break;
                case TypeInitializationException or System.Reflection.TargetInvocationException when e.InnerException is { } inner:
                    e = inner;
                    break;
                default:
                    return e;
            }
        }
    }
}
