// PythonLiteral: parses the Python literal subset that .npy headers hold (dict, str, int, bool, None, tuple, list), strictly, with nesting capped so that input cannot exhaust the stack.
using System.Globalization;
using System.Numerics;

namespace NcutKernels.IO;

/// <summary>A parsed Python literal and where it sits in the source text (for quoting it in errors).</summary>
internal abstract record PyValue(int Start, int End);

/// <summary>A string literal ('…' or "…", no escapes).</summary>
internal sealed record PyString(string Value, int Start, int End) : PyValue(Start, End);

/// <summary>A decimal integer literal, with an optional sign (and Python 2's L suffix, which numpy itself strips).</summary>
internal sealed record PyInt(BigInteger Value, int Start, int End) : PyValue(Start, End);

/// <summary>True or False.</summary>
internal sealed record PyBool(bool Value, int Start, int End) : PyValue(Start, End);

/// <summary>None.</summary>
internal sealed record PyNone(int Start, int End) : PyValue(Start, End);

/// <summary>A tuple (…, …) or a list […, …].</summary>
internal sealed record PySequence(IReadOnlyList<PyValue> Items, bool IsTuple, int Start, int End) : PyValue(Start, End);

/// <summary>A dict with string keys, in source order; a repeated key is a parse error.</summary>
internal sealed record PyDict(IReadOnlyList<KeyValuePair<string, PyValue>> Entries, int Start, int End) : PyValue(Start, End);

/// <summary>
/// Recursive-descent parser for one Python literal followed only by whitespace, the way numpy's header reader
/// (ast.literal_eval) sees it, restricted to what a .npy header can hold. Malformed text raises
/// <see cref="InvalidDataException"/> with the position and a printable excerpt; nesting is capped at
/// <see cref="MaxDepth"/> so that hostile input cannot exhaust the stack.
/// </summary>
internal sealed class PythonLiteral
{
    /// <summary>Deepest nesting of brackets accepted (a .npy header needs 2; structured dtypes a few more).</summary>
    public const int MaxDepth = 32;

    /// <summary>Characters of the source quoted around an error position.</summary>
    private const int ExcerptChars = 80;

    private readonly string _text;
    private int _pos;

    private PythonLiteral(string text) => _text = text;

    /// <summary>Parses <paramref name="text"/> as exactly one literal surrounded by optional whitespace.</summary>
    public static PyValue Parse(string text)
    {
        var parser = new PythonLiteral(text);
        var value = parser.Value(0);
        parser.SkipSpace();
        if (parser._pos < text.Length)
            throw parser.Error("unexpected text after the literal");
        return value;
    }

    /// <summary>The source text of <paramref name="value"/>, printable and at most about 80 characters.</summary>
    public static string Quote(string text, PyValue value) => PrintableText.Excerpt(text[value.Start..value.End], ExcerptChars);

    private PyValue Value(int depth)
    {
        SkipSpace();
        if (_pos >= _text.Length)
            throw Error("the text ends where a value should start");
        char c = _text[_pos];
        if (c is '{' or '(' or '[' && depth >= MaxDepth)
            throw Error($"brackets nested more than {MaxDepth} deep");
        return c switch
        {
            '{' => Dict(depth + 1),
            '(' => Parenthesized(depth + 1),
            '[' => List(depth + 1),
            '\'' or '"' => String(),
            '+' or '-' or (>= '0' and <= '9') => Integer(),
            _ when char.IsAsciiLetter(c) || c == '_' => Name(),
            _ => throw Error("unexpected character"),
        };
    }

    private PyDict Dict(int depth)
    {
        int start = _pos++;
        var entries = new List<KeyValuePair<string, PyValue>>();
        var keys = new HashSet<string>(StringComparer.Ordinal);
        while (true)
        {
            SkipSpace();
            if (Peek() == '}')
                break;
            int keyAt = _pos;
            if (Value(depth) is not PyString key)
            {
                _pos = keyAt;
                throw Error("a dict key that is not a string");
            }
            if (!keys.Add(key.Value))
            {
                _pos = keyAt;
                throw Error($"the key '{PrintableText.Excerpt(key.Value, ExcerptChars)}' is repeated");
            }
            SkipSpace();
            Expect(':', "':' after a dict key");
            entries.Add(new(key.Value, Value(depth)));
            SkipSpace();
            if (Peek() == ',')
            {
                _pos++;
                continue;
            }
            if (Peek() != '}')
                throw Error("expected ',' or '}' in a dict");
            break;
        }
        _pos++;
        return new PyDict(entries, start, _pos);
    }

    /// <summary>"( )" is an empty tuple, "(v)" just v, "(v,)" and "(v, w…)" tuples.</summary>
    private PyValue Parenthesized(int depth)
    {
        int start = _pos++;
        SkipSpace();
        if (Peek() == ')')
        {
            _pos++;
            return new PySequence([], true, start, _pos);
        }
        var first = Value(depth);
        SkipSpace();
        if (Peek() == ')')
        {
            _pos++;
            return first;
        }
        Expect(',', "',' or ')' after a value in parentheses");
        return Sequence(')', isTuple: true, start, depth, first);
    }

    private PySequence List(int depth)
    {
        int start = _pos++;
        return Sequence(']', isTuple: false, start, depth);
    }

    /// <summary>The rest of a tuple or list after its opening bracket (and after <paramref name="first"/> and its comma, if given).</summary>
    private PySequence Sequence(char close, bool isTuple, int start, int depth, PyValue? first = null)
    {
        var items = new List<PyValue>();
        if (first is not null)
            items.Add(first);
        while (true)
        {
            SkipSpace();
            if (Peek() == close)
                break;
            items.Add(Value(depth));
            SkipSpace();
            if (Peek() == ',')
            {
                _pos++;
                continue;
            }
            if (Peek() != close)
                throw Error($"expected ',' or '{close}' in a {(isTuple ? "tuple" : "list")}");
            break;
        }
        _pos++;
        return new PySequence(items, isTuple, start, _pos);
    }

    private PyString String()
    {
        int start = _pos;
        char quote = _text[_pos++];
        int from = _pos;
        while (_pos < _text.Length && _text[_pos] != quote)
        {
            if (_text[_pos] == '\\')
                throw Error("an escape sequence in a string (not supported in .npy headers)");
            if (_text[_pos] is '\n' or '\r')
                throw Error("a line break inside a string");
            _pos++;
        }
        if (_pos >= _text.Length)
        {
            _pos = start;
            throw Error("a string that is never closed");
        }
        _pos++;
        return new PyString(_text[from..(_pos - 1)], start, _pos);
    }

    private PyInt Integer()
    {
        int start = _pos;
        bool negative = false;
        if (_text[_pos] is '+' or '-')
        {
            negative = _text[_pos++] == '-';
            SkipSpace();
        }
        int digitsAt = _pos;
        while (_pos < _text.Length && (char.IsAsciiDigit(_text[_pos]) || (_text[_pos] == '_' && _pos > digitsAt
                   && char.IsAsciiDigit(_text[_pos - 1]) && _pos + 1 < _text.Length && char.IsAsciiDigit(_text[_pos + 1]))))
            _pos++;
        if (_pos == digitsAt)
            throw Error("a sign without digits");
        var digits = _text[digitsAt.._pos].Replace("_", "", StringComparison.Ordinal);
        if (_pos < _text.Length && _text[_pos] is 'L' or 'l')
            _pos++;
        if (_pos < _text.Length && (char.IsAsciiLetterOrDigit(_text[_pos]) || _text[_pos] is '.' or '_'))
            throw Error("a malformed number (only decimal integers are allowed)");
        var value = BigInteger.Parse(digits, NumberStyles.None, CultureInfo.InvariantCulture);
        return new PyInt(negative ? -value : value, start, _pos);
    }

    private PyValue Name()
    {
        int start = _pos;
        while (_pos < _text.Length && (char.IsAsciiLetterOrDigit(_text[_pos]) || _text[_pos] == '_'))
            _pos++;
        return _text[start.._pos] switch
        {
            "True" => new PyBool(true, start, _pos),
            "False" => new PyBool(false, start, _pos),
            "None" => new PyNone(start, _pos),
            _ => throw ErrorAt(start, "a name that is not True, False or None"),
        };
    }

    private void SkipSpace()
    {
        while (_pos < _text.Length && _text[_pos] is ' ' or '\t' or '\n' or '\r' or '\f')
            _pos++;
    }

    private char Peek() => _pos < _text.Length ? _text[_pos] : '\0';

    private void Expect(char c, string what)
    {
        if (Peek() != c)
            throw Error($"expected {what}");
        _pos++;
    }

    private InvalidDataException Error(string problem) => ErrorAt(_pos, problem);

    private InvalidDataException ErrorAt(int at, string problem)
    {
        int from = Math.Max(0, at - 20);
        string near = at >= _text.TrimEnd().Length ? "the end" : $"'{PrintableText.Excerpt(_text[from..].TrimEnd(), ExcerptChars)}'";
        return new InvalidDataException($"{problem} at character {at} of the header, near {near}");
    }
}
