// CliArgs: "--name value" option parsing with clear errors for the ncut tool.
using System.Globalization;

namespace NcutKernels.Cli;

/// <summary>
/// Parsed "--name value" options and "--name" flags; unknown options, and repeats of options not declared repeatable, are errors.
/// </summary>
internal sealed class CliArgs
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<string>> _lists = new(StringComparer.Ordinal);
    private readonly HashSet<string> _flags = new(StringComparer.Ordinal);

    /// <summary>Parses <paramref name="args"/>: <paramref name="known"/> options take a value, <paramref name="flags"/> none.</summary>
    public CliArgs(IEnumerable<string> args, IReadOnlySet<string> known, IReadOnlySet<string>? repeatable = null, IReadOnlySet<string>? flags = null)
    {
        var list = args.ToList();
        for (int i = 0; i < list.Count; i++)
        {
            string a = list[i];
            if (a.StartsWith("--", StringComparison.Ordinal) && flags?.Contains(a[2..]) == true)
            {
                if (!_flags.Add(a[2..]))
                    throw new UsageException($"option '{a}' given twice");
                continue;
            }
            if (!a.StartsWith("--", StringComparison.Ordinal) || !known.Contains(a[2..]))
                throw new UsageException($"unknown argument '{a}' (known: {string.Join(", ", known.Concat(flags ?? new HashSet<string>()).Order().Select(k => "--" + k))})");
            if (i + 1 >= list.Count)
                throw new UsageException($"option '{a}' needs a value");
            if (repeatable?.Contains(a[2..]) == true)
            {
                (_lists.TryGetValue(a[2..], out var values) ? values : _lists[a[2..]] = []).Add(list[++i]);
                continue;
            }
            if (!_values.TryAdd(a[2..], list[++i]))
                throw new UsageException($"option '{a}' given twice");
        }
    }

    public string? String(string name) => _values.GetValueOrDefault(name);

    /// <summary>Whether the flag was given.</summary>
    public bool Flag(string name) => _flags.Contains(name);

    /// <summary>Every value of a repeatable option, in order (empty when not given).</summary>
    public IReadOnlyList<string> Strings(string name) => _lists.TryGetValue(name, out var values) ? values : [];

    public string Required(string name) => String(name) ?? throw new UsageException($"missing required option --{name}");

    public double? Double(string name) => String(name) is { } s
        ? double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) ? v : throw new UsageException($"--{name}: '{s}' is not a number")
        : null;

    public int? Int(string name) => String(name) is { } s
        ? int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) ? v : throw new UsageException($"--{name}: '{s}' is not an integer")
        : null;

    /// <summary>
    /// The option's value as a member of <typeparamref name="T"/>, by name only (any case): numbers, and comma-joined
    /// names, which <see cref="System.Enum.TryParse{TEnum}(string, bool, out TEnum)"/> would take, are refused.
    /// </summary>
    public T? Enum<T>(string name) where T : struct, System.Enum => String(name) is { } s
        ? System.Enum.GetNames<T>().FirstOrDefault(n => n.Equals(s, StringComparison.OrdinalIgnoreCase)) is { } match
            ? System.Enum.Parse<T>(match)
            : throw new UsageException($"--{name}: '{s}' is not one of {string.Join("|", System.Enum.GetNames<T>().Select(n => n.ToLowerInvariant()))}")
        : null;
}

/// <summary>A command-line mistake: printed as one line, exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);
