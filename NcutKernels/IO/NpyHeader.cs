// NpyHeader: the dict of a .npy header (descr, fortran_order, shape) checked the way numpy checks it, plus the limits this reader sets.
using System.Numerics;

namespace NcutKernels.IO;

/// <summary>The three entries of a .npy header, validated: exactly the keys numpy writes, each of the type numpy requires.</summary>
internal sealed record NpyHeader(string Descr, bool FortranOrder, int[] Shape)
{
    private static readonly string[] Keys = ["descr", "fortran_order", "shape"];

    /// <summary>Parses and checks header text (the bytes after the length field, decoded).</summary>
    /// <exception cref="InvalidDataException">The text is not a Python dict literal with exactly 'descr' (a string),
    /// 'fortran_order' (True or False) and 'shape' (a tuple of non-negative integers of at most 2³¹ − 1 each).</exception>
    public static NpyHeader Parse(string text)
    {
        if (string.IsNullOrWhiteSpace(text))
            throw new InvalidDataException("the header is empty.");
        if (PythonLiteral.Parse(text) is not PyDict dict)
            throw new InvalidDataException($"the header is not a dict: {PrintableText.Excerpt(text.Trim(), 80)}");
        foreach (var entry in dict.Entries)
            if (!Keys.Contains(entry.Key, StringComparer.Ordinal))
                throw new InvalidDataException(
                    $"the header has an unexpected key '{PrintableText.Excerpt(entry.Key, 40)}' (a .npy header holds exactly 'descr', 'fortran_order' and 'shape').");
        var descr = Entry(dict, "descr");
        var fortran = Entry(dict, "fortran_order");
        var shape = Entry(dict, "shape");
        return new NpyHeader(
            descr switch
            {
                PyString s => s.Value,
                PySequence => throw new InvalidDataException($"structured dtypes are not supported (descr {PythonLiteral.Quote(text, descr)})."),
                _ => throw new InvalidDataException($"'descr' is not a dtype string: {PythonLiteral.Quote(text, descr)}"),
            },
            fortran is PyBool b ? b.Value : throw new InvalidDataException($"'fortran_order' is not True or False: {PythonLiteral.Quote(text, fortran)}"),
            Dimensions(text, shape));
    }

    /// <summary>The shape as text, "(3,)" or "(2, 3)" as numpy prints it, at most about 80 characters.</summary>
    public static string Format(IReadOnlyList<int> shape) =>
        PrintableText.Excerpt(shape.Count == 1 ? $"({shape[0]},)" : $"({string.Join(", ", shape)})", 80);

    private static PyValue Entry(PyDict dict, string key)
    {
        foreach (var entry in dict.Entries)
            if (entry.Key == key)
                return entry.Value;
        throw new InvalidDataException($"the header has no '{key}' entry.");
    }

    private static int[] Dimensions(string text, PyValue shape)
    {
        if (shape is not PySequence { IsTuple: true } tuple || tuple.Items.Any(d => d is not PyInt))
            throw new InvalidDataException($"'shape' is not a tuple of integers: {PythonLiteral.Quote(text, shape)}");
        var dims = new int[tuple.Items.Count];
        for (int i = 0; i < dims.Length; i++)
        {
            BigInteger d = ((PyInt)tuple.Items[i]).Value;
            if (d.Sign < 0)
                throw new InvalidDataException($"'shape' has a negative dimension {PrintableText.Excerpt(d.ToString(), 40)}.");
            if (d > int.MaxValue)
                throw new InvalidDataException($"'shape' has a dimension {PrintableText.Excerpt(d.ToString(), 40)} above {int.MaxValue}.");
            dims[i] = (int)d;
        }
        return dims;
    }
}
