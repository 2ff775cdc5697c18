// CliOption: makes the tool's System.CommandLine options — value parsers whose errors name the option and the value, one-line help text with range and default.
using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace NcutKernels.Cli;

/// <summary>
/// Factories of the options of `ncut`: each option's value is parsed by a parser of its own (numbers in the invariant
/// culture, enums by name only), whose error reads "--name: 'value' is …", and its description ends with its range and
/// default, as `ncut COMMAND --help` prints them.
/// </summary>
internal static class CliOption
{
    /// <summary>
    /// An option taking one value, which <paramref name="parse"/> reads: it returns the value and null, or any value and the
    /// reason ("'abc' is not a number") that follows "--name: " in the parse error.
    /// </summary>
    public static Option<T> Create<T>(string name, string valueName, string description, Func<string, (T Value, string? Error)> parse)
    {
        var option = new Option<T>(name) { HelpName = valueName, Description = description, Arity = ArgumentArity.ExactlyOne };
        option.CustomParser = result =>
        {
            if (result.Tokens.Count == 0)
                return default!;
            var (value, error) = parse(result.Tokens[^1].Value);
            if (error is not null)
                result.AddError($"{name}: {error}");
            return value;
        };
        return option;
    }

    /// <summary>An integer in <paramref name="min"/>..<paramref name="max"/>, <paramref name="default"/> when not given (null: the option is required).</summary>
    public static Option<int> Int(string name, string valueName, string what, int min, int max, int? @default)
    {
        var option = Create(name, valueName, $"{what} ({Range(min, max)}, {(@default is { } d ? $"default {d}" : "required")})",
            text =>
            {
                var (value, error) = IntIn(text, min, max);
                return (value ?? min, error);
            });
        if (@default is { } value)
            option.DefaultValueFactory = _ => value;
        else
            option.Required = true;
        return option;
    }

    /// <summary>
    /// An integer in <paramref name="min"/>..<paramref name="max"/>, or null when not given (<paramref name="defaultText"/> says
    /// what that means; null: the option is required).
    /// </summary>
    public static Option<int?> OptionalInt(string name, string valueName, string what, int min, int max, string? defaultText)
    {
        var option = Create(name, valueName, $"{what} ({Range(min, max)}, {(defaultText is null ? "required" : $"default {defaultText}")})", text => IntIn(text, min, max));
        option.Required = defaultText is null;
        return option;
    }

    /// <summary>A number that <paramref name="valid"/> accepts (<paramref name="range"/> says which), or null when not given.</summary>
    public static Option<double?> OptionalDouble(string name, string valueName, string what, Func<double, bool> valid, string range, string defaultText) =>
        Create<double?>(name, valueName, $"{what} ({range}, default {defaultText})", text =>
            !double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) ? (null, $"'{text}' is not a number")
            : !valid(v) ? (null, $"{text} is not {range}")
            : (v, null));

    /// <summary>
    /// A member of <typeparamref name="T"/> by name, in any case (its lower-case name, or the name <paramref name="names"/>
    /// gives it), <paramref name="default"/> when not given. Numbers and comma-joined names are refused.
    /// </summary>
    public static Option<T> Enum<T>(string name, string what, T @default, IReadOnlyList<(string Name, T Value)>? names = null) where T : struct, System.Enum
    {
        names ??= EnumNames<T>();
        var option = Create(name, string.Join("|", names.Select(n => n.Name)), $"{what} (default {names.First(n => n.Value.Equals(@default)).Name})",
            text =>
            {
                var (value, error) = Member(text, names);
                return (value ?? @default, error);
            });
        option.DefaultValueFactory = _ => @default;
        return option;
    }

    /// <summary>A member of <typeparamref name="T"/> by lower-case name, in any case, or null when not given (<paramref name="defaultText"/> says what that means).</summary>
    public static Option<T?> OptionalEnum<T>(string name, string what, string defaultText) where T : struct, System.Enum
    {
        var names = EnumNames<T>();
        return Create(name, string.Join("|", names.Select(n => n.Name)), $"{what} (default {defaultText})", text => Member(text, names));
    }

    /// <summary>A file or folder path, or other text; <paramref name="defaultText"/> null makes it required.</summary>
    public static Option<string> Text(string name, string valueName, string what, string? defaultText)
    {
        return new Option<string>(name)
        {
            HelpName = valueName, Description = $"{what} ({(defaultText is null ? "required" : $"default {defaultText}")})", Required = defaultText is null,
        };
    }

    /// <summary>A path or other text that may be given several times, the values kept in order; <paramref name="when"/> says when it is needed or what its absence means.</summary>
    public static Option<string[]> Repeatable(string name, string valueName, string what, string when) =>
        new(name) { HelpName = valueName, Description = $"{what} ({when})" };

    /// <summary>An option without a value: true when given.</summary>
    public static Option<bool> Flag(string name, string what) => new(name) { Description = $"{what} (default off)", Arity = ArgumentArity.Zero };

    /// <summary>Whether <paramref name="option"/> was given on the command line (not just defaulted).</summary>
    public static bool Given(ParseResult result, Option option) => result.GetResult(option) is OptionResult { Implicit: false };

    /// <summary>"2..100", "≥ 0", or "any integer".</summary>
    private static string Range(int min, int max) => (min, max) switch
    {
        (int.MinValue, int.MaxValue) => "any integer",
        (_, int.MaxValue) => $"≥ {min}",
        _ => $"{min}..{max}",
    };

    /// <summary>The integer <paramref name="text"/> if it lies in <paramref name="min"/>..<paramref name="max"/>, else why not.</summary>
    private static (int? Value, string? Error) IntIn(string text, int min, int max) =>
        !int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) ? (null, $"'{text}' is not an integer")
        : v < min || v > max ? (null, max == int.MaxValue ? $"{v} is below {min}" : $"{v} is outside {min}..{max}")
        : (v, null);

    /// <summary>The member named <paramref name="text"/> (any case) among <paramref name="names"/>, else why not.</summary>
    private static (T? Value, string? Error) Member<T>(string text, IReadOnlyList<(string Name, T Value)> names) where T : struct =>
        names.FirstOrDefault(n => n.Name.Equals(text, StringComparison.OrdinalIgnoreCase)) is { Name: not null } match
            ? (match.Value, null)
            : (null, $"'{text}' is not one of {string.Join("|", names.Select(n => n.Name))}");

    /// <summary>Every member of <typeparamref name="T"/> with its lower-case name, in declaration order.</summary>
    private static (string Name, T Value)[] EnumNames<T>() where T : struct, System.Enum =>
        System.Enum.GetValues<T>().Select(v => (v.ToString().ToLowerInvariant(), v)).ToArray();
}
