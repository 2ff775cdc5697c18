// UsageException, MisuseException: the two command-line mistakes `ncut` reports with exit code 2 — one found while a command runs (one line), one in how the options go together (the line, then the command's usage).
namespace NcutKernels.Cli;

/// <summary>A command-line mistake found while the command runs (a path that cannot be written, an image that cannot be read): printed as one line, exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);

/// <summary>
/// Options that parse one by one but not together (two sources of features, an option that does not apply to the
/// source, a value beyond another's): printed as a parse error is, the line then the command's usage, exit code 2.
/// </summary>
internal sealed class MisuseException(string message) : Exception(message);
