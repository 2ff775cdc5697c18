// CliArgs: "--name value" option parsing with clear errors for the ncut tool.
using System.Globalization;

namespace NcutKernels.Cli;

/// <summary>Parsed "--name value" options; unknown or repeated options are errors.</summary>
internal sealed class CliArgs
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);

    public CliArgs(IEnumerable<string> args, IReadOnlySet<string> known)
    {
        var list = args.ToList();
        for (int i = 0; i < list.Count; i++)
        {
            string a = list[i];
            if (!a.StartsWith("--", StringComparison.Ordinal) || !known.Contains(a[2..]))
                throw new UsageException($"unknown argument '{a}' (known: {string.Join(", ", known.Order().Select(k => "--" + k))})");
            if (i + 1 >= list.Count)
                throw new UsageException($"option '{a}' needs a value");
            if (!_values.TryAdd(a[2..], list[++i]))
                throw new UsageException($"option '{a}' given twice");
        }
    }

    public string? String(string name)
    {
        _used.Add(name);
        return _values.GetValueOrDefault(name);
    }

    public string Required(string name) => String(name) ?? throw new UsageException($"missing required option --{name}");

    public double? Double(string name) => String(name) is { } s
        ? double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) ? v : throw new UsageException($"--{name}: '{s}' is not a number")
        : null;

    public int? Int(string name) => String(name) is { } s
        ? int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) ? v : throw new UsageException($"--{name}: '{s}' is not an integer")
        : null;

    public T? Enum<T>(string name) where T : struct, System.Enum => String(name) is { } s
        ? System.Enum.TryParse<T>(s, ignoreCase: true, out var v) && System.Enum.IsDefined(v) ? v
            : throw new UsageException($"--{name}: '{s}' is not one of {string.Join("|", System.Enum.GetNames<T>().Select(n => n.ToLowerInvariant()))}")
        : null;
}

/// <summary>A command-line mistake: printed as one line, exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);
