// NpyFuzzTests: a fixed-seed .npy fuzz corpus (byte flips, truncations, header edits of valid float and integer files, plus hand-made hostile files) — every case ends as an array or one printable InvalidDataException line, also through `ncut embed`.
using System.Text;
using NcutKernels.IO;
using NUnit.Framework;
using static NcutKernels.Tests.Cli.CliHarness;

namespace NcutKernels.Tests.IO;

[TestFixture]
public class NpyFuzzTests
{
    private const int Seed = 20240611;
    private const int FlipsPerFile = 150, TruncationsPerFile = 40, HeaderEditsPerFile = 120;

    /// <summary>Longest error message accepted: the path-free message plus header excerpts of about 80 characters.</summary>
    private const int MaxMessageChars = 300;

    /// <summary>Fragments spliced into headers: structure, hostile numbers, keys, names, control bytes.</summary>
    private static readonly string[] Tokens =
    [
        "{", "}", "(", ")", "[", "]", ",", ":", "'", "\"", "\\", "-", "+", "_", "L", ".", "\n", "\0", "\u001b", "\u00ff", "\u202e",
        "'shape': (2,), ", "'descr': '<f8', ", "'fortran_order': True, ", "'extra': 1, ", "True", "False", "None", "0", "-1",
        "2147483647", "2147483648", "99999999999999999999999", "(2147483647, 2147483647)", "((((((((((((((((((((((((((((((((((",
        "'<f4'", "'>f8'", "'<i8'", "'<i4'", "'<u8'", "[('x', '<f8')]", "b'<f8'", "__import__('os')", "1e5", "0x10", new string(' ', 200),
    ];

    /// <summary>The valid files the mutations start from: every version, every dtype read, both orders, vectors and an empty array.</summary>
    private static IEnumerable<(string Name, byte[] File)> Seeds()
    {
        yield return ("v1-f4-3x2", NpyBytes.Build("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }", NpyBytes.Bytes(new float[] { 1, 2, 3, 4, 5, 6 })));
        yield return ("v2-f8-fortran-2x3", NpyBytes.Build("{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }",
            NpyBytes.Bytes(new double[] { 1, 2, 3, 4, 5, 6 }), major: 2));
        yield return ("v3-f8-vector", NpyBytes.Build("{'descr': '<f8', 'fortran_order': False, 'shape': (5,), }", NpyBytes.Bytes(new double[] { 9, 8, 7, 6, 5 }), major: 3));
        yield return ("v1-f4-empty", NpyBytes.Build("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 4), }", []));
        yield return ("v1-i8-vector", NpyBytes.Build("{'descr': '<i8', 'fortran_order': False, 'shape': (4,), }", NpyBytes.Bytes(new long[] { 0, 2, 1, -1 })));
        yield return ("v2-i4-fortran-2x2", NpyBytes.Build("{'descr': '<i4', 'fortran_order': True, 'shape': (2, 2), }", NpyBytes.Bytes(new[] { 3, 1, 4, 1 }), major: 2));
    }

    /// <summary>Hand-made hostile files; all must be refused.</summary>
    private static IEnumerable<(string Name, byte[] File)> Hostile()
    {
        const string ok = "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }";
        var two = NpyBytes.Bytes(new double[] { 1, 2 });
        byte[] Header(string dict, int major = 1) => NpyBytes.Build(dict, two, major);
        var okBytes = Encoding.Latin1.GetBytes(ok + "\n");
        foreach (long length in new[] { 0xFFFFFFFFL, 0x7FFFFFF0L, 0x80000000L, 65536L, 10001L })
            yield return ($"v2-length-{length}", NpyBytes.Build(okBytes, two, major: 2, lengthField: length));
        yield return ("v1-length-65535", NpyBytes.Build(okBytes, two, major: 1, lengthField: 65535));
        yield return ("v1-length-0", NpyBytes.Build(okBytes, two, major: 1, lengthField: 0));
        foreach (var shape in new[] { "(-1,)", "(2, -3)", "(-0x1,)", "(2147483648,)", "(99999999999999999999999999999,)", "(2147483647, 2147483647)",
                     "(2147483647, 2147483647, 2147483647)", "(4294967296, 4294967296)", "(" + string.Join(",", Enumerable.Repeat("9", 3000)) + ")", "()" })
            yield return ($"shape-{shape[..Math.Min(shape.Length, 24)]}", Header($"{{'descr': '<f8', 'fortran_order': False, 'shape': {shape}, }}", major: 2));
        yield return ("duplicate-shape", Header("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), 'shape': (2,), }"));
        yield return ("duplicate-descr", Header("{'descr': '<f8', 'descr': '<f4', 'fortran_order': False, 'shape': (2,), }"));
        yield return ("extra-key", Header("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), 'x': None, }"));
        yield return ("missing-key", Header("{'descr': '<f8', 'shape': (2,), }"));
        yield return ("nested-tuples", Header(new string('(', 20000), major: 2));
        yield return ("nested-lists", Header("{'descr': " + new string('[', 20000), major: 2));
        yield return ("nested-dicts", Header(string.Concat(Enumerable.Repeat("{'a': ", 1500)), major: 2));
        yield return ("call", Header("{'descr': __import__('os').getcwd(), 'fortran_order': False, 'shape': (2,), }"));
        yield return ("lambda", Header("lambda: 0"));
        yield return ("set", Header("{'descr', 'fortran_order', 'shape'}"));
        yield return ("float-dim", Header("{'descr': '<f8', 'fortran_order': False, 'shape': (2.0,), }"));
        yield return ("bytes-descr", Header("{'descr': b'<f8', 'fortran_order': False, 'shape': (2,), }"));
        yield return ("escape-in-string", Header("{'descr': '\\x3cf8', 'fortran_order': False, 'shape': (2,), }"));
        yield return ("unterminated-string", Header("{'descr': '<f8"));
        yield return ("nul-header", Header(new string('\0', 100)));
        yield return ("nul-in-descr", Header("{'descr': '<f8\0', 'fortran_order': False, 'shape': (2,), }"));
        yield return ("terminal-escape", Header("{'descr': '\u001b]0;pwned\u0007<f8', 'fortran_order': False, 'shape': (2,), }"));
        yield return ("bidi-override", Header("{'descr': '<f8\u202e', 'fortran_order': False, 'shape': (2,), }", major: 3));
        yield return ("invalid-utf8", NpyBytes.Build(Encoding.Latin1.GetBytes(ok.Replace("<f8", "<f8\u00c3(") + "\n"), two, major: 3));
        yield return ("latin1-high", Header("{'descr': '\u00ff\u00fe', 'fortran_order': False, 'shape': (2,), }"));
        yield return ("long-descr", Header($"{{'descr': '{new string('d', 9000)}', 'fortran_order': False, 'shape': (2,), }}", major: 2));
        yield return ("structured", Header("{'descr': [('x', '<f8'), ('y', '<f8')], 'fortran_order': False, 'shape': (2,), }"));
        yield return ("big-endian", Header("{'descr': '>f8', 'fortran_order': False, 'shape': (2,), }"));
        yield return ("uint64-dtype", Header("{'descr': '<u8', 'fortran_order': False, 'shape': (2,), }"));
        yield return ("int16-dtype", Header("{'descr': '<i2', 'fortran_order': False, 'shape': (2,), }"));
        yield return ("big-endian-int", Header("{'descr': '>i8', 'fortran_order': False, 'shape': (2,), }"));
        yield return ("object-dtype", Header("{'descr': '|O', 'fortran_order': False, 'shape': (2,), }"));
        yield return ("fortran-string", Header("{'descr': '<f8', 'fortran_order': 'False', 'shape': (2,), }"));
        yield return ("trailing-junk", Header(ok + " and more"));
        yield return ("not-a-dict", Header("['descr', '<f8']"));
        yield return ("truncated-data", NpyBytes.Build(ok, two.AsSpan(0, 11)));
        yield return ("truncated-header", NpyBytes.Build(ok, two)[..30]);
        yield return ("truncated-length", NpyBytes.Build(ok, two)[..9]);
        yield return ("empty-file", []);
        yield return ("magic-only", NpyBytes.Magic);
        yield return ("zip-magic", [0x50, 0x4B, 0x03, 0x04, 0x14, 0x00, 0x00, 0x00, 0x08, 0x00]);
        var wrongMagic = NpyBytes.Build(ok, two);
        wrongMagic[5] = (byte)'X';
        yield return ("wrong-magic", wrongMagic);
        foreach (var (major, minor) in new[] { (0, 0), (1, 1), (4, 0), (255, 255) })
        {
            var f = NpyBytes.Build(ok, two);
            (f[6], f[7]) = ((byte)major, (byte)minor);
            yield return ($"version-{major}.{minor}", f);
        }
    }

    /// <summary>Mutations of one valid file: byte flips, truncations, and edits of its header text (re-framed, sometimes with a stale length).</summary>
    private static IEnumerable<(string Name, byte[] File)> Mutations(string name, byte[] file, Random rng)
    {
        int headerEnd = file[6] == 1 ? 10 + BitConverter.ToUInt16(file, 8) : 12 + BitConverter.ToInt32(file, 8);
        for (int i = 0; i < FlipsPerFile; i++)
        {
            var f = (byte[])file.Clone();
            int flips = rng.Next(1, 5);
            for (int j = 0; j < flips; j++)
                f[rng.Next(2) == 0 ? rng.Next(headerEnd) : rng.Next(f.Length)] = (byte)rng.Next(256);
            yield return ($"{name}/flip-{i}", f);
        }
        for (int i = 0; i < TruncationsPerFile; i++)
            yield return ($"{name}/truncate-{i}", file[..rng.Next(file.Length)]);
        int major = file[6], lengthBytes = major == 1 ? 2 : 4;
        var encoding = major == 3 ? Encoding.UTF8 : Encoding.Latin1;
        string header = encoding.GetString(file, 8 + lengthBytes, headerEnd - 8 - lengthBytes);
        var payload = file.AsSpan(headerEnd).ToArray();
        for (int i = 0; i < HeaderEditsPerFile; i++)
        {
            string edited = header;
            int edits = rng.Next(1, 4);
            for (int j = 0; j < edits; j++)
            {
                int at = rng.Next(edited.Length + 1), span = rng.Next(Math.Min(12, edited.Length - at) + 1);
                string token = Tokens[rng.Next(Tokens.Length)];
                edited = rng.Next(3) switch
                {
                    0 => edited.Insert(at, token),
                    1 => edited.Remove(at, span),
                    _ => edited.Remove(at, span).Insert(at, token),
                };
            }
            var bytes = encoding.GetBytes(edited);
            long? stale = rng.Next(8) == 0 ? rng.NextInt64(0, 1L << (8 * lengthBytes)) : null;
            yield return ($"{name}/header-{i}", NpyBytes.Build(bytes, payload, major, stale));
        }
    }

    private static List<(string Name, byte[] File, bool Hostile)> Corpus()
    {
        var rng = new Random(Seed);
        var corpus = new List<(string, byte[], bool)>();
        foreach (var (name, file) in Seeds())
        {
            corpus.Add((name, file, false));
            corpus.AddRange(Mutations(name, file, rng).Select(m => (m.Name, m.File, false)));
        }
        corpus.AddRange(Hostile().Select(h => (h.Name, h.File, true)));
        return corpus;
    }

    /// <summary>What reading <paramref name="stream"/> ends in: "array" or the error message; anything else fails the test.</summary>
    private static (bool Read, string? Message) Outcome(string name, Func<NpyArray> read)
    {
        try
        {
            var a = read();
            long count = a.Shape.Aggregate(1L, (x, y) => x * y);
            Assert.That(a.Shape, Has.Length.InRange(1, 2), name);
            Assert.That(new[] { a.Singles?.LongLength, a.Doubles?.LongLength, a.Int64s?.LongLength }.Where(l => l is not null), Is.EqualTo(new long?[] { count }),
                $"{name}: one data array, of the shape product's length");
            return (true, null);
        }
        catch (InvalidDataException e)
        {
            PrintableLine.Assert(e.Message, name, MaxMessageChars);
            return (false, e.Message);
        }
    }

    /// <summary>The first words of an error, to count outcomes by kind.</summary>
    private static string Kind(string message) => string.Join(' ', message.Split(' ').Take(4));

    [Test]
    public void Corpus_EveryCaseEndsAsAnArrayOrOnePrintableErrorLine()
    {
        var corpus = Corpus();
        var kinds = new SortedDictionary<string, int>(StringComparer.Ordinal);
        int read = 0, refused = 0;
        foreach (var (name, file, hostile) in corpus)
        {
            var seekable = Outcome(name, () => Npy.Read(new MemoryStream(file)));
            var unseekable = Outcome(name + " (unseekable)", () => Npy.Read(new NpyHostileTests.UnseekableStream(file)));
            Assert.That(unseekable.Read, Is.EqualTo(seekable.Read), $"{name}: seekable and unseekable reads agree");
            if (hostile)
                Assert.That(seekable.Read, Is.False, $"{name}: a hostile file is refused");
            if (seekable.Read)
                read++;
            else
            {
                refused++;
                kinds[Kind(seekable.Message!)] = kinds.GetValueOrDefault(Kind(seekable.Message!)) + 1;
            }
        }
        TestContext.Out.WriteLine($"npy fuzz corpus (seed {Seed}): {corpus.Count} cases, {read} read, {refused} refused with InvalidDataException, 0 other outcomes");
        foreach (var (kind, count) in kinds.OrderByDescending(k => k.Value))
            TestContext.Out.WriteLine($"  {count,5}  {kind} …");
        Assert.That(corpus, Has.Count.EqualTo(Seeds().Count() * (1 + FlipsPerFile + TruncationsPerFile + HeaderEditsPerFile) + Hostile().Count()));
        Assert.That(refused, Is.GreaterThan(corpus.Count / 2), "the mutations mostly break the files (sanity of the corpus)");
        Assert.That(read, Is.GreaterThan(4), "some mutations keep a file readable (sanity of the corpus)");
    }

    [Test]
    public void Corpus_FromFiles_MessagesStartWithThePath()
    {
        string dir = TempFolder.Create("ncut-npy-fuzz-");
        try
        {
            var corpus = Corpus();
            for (int i = 0; i < corpus.Count; i += 7)
            {
                string path = Path.Combine(dir, $"case{i}.npy");
                File.WriteAllBytes(path, corpus[i].File);
                var (ok, message) = Outcome(corpus[i].Name, () => Npy.Read(path));
                if (!ok)
                    Assert.That(message, Does.StartWith(path + ": "), corpus[i].Name);
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public void Corpus_ThroughTheCli_ExitsTwoWithOnePrintableLine()
    {
        string dir = TempFolder.Create("ncut-npy-fuzz-cli-");
        try
        {
            // Every hostile file, and every 40th refused mutation: the reader's refusal is what the CLI must report.
            var cases = Corpus().Where((c, i) => c.Hostile || (i % 40 == 0 && !Outcome(c.Name, () => Npy.Read(new MemoryStream(c.File))).Read)).ToList();
            foreach (var (name, file, _) in cases)
            {
                string input = Path.Combine(dir, "bad.npy"), output = Path.Combine(dir, "out.npy");
                File.WriteAllBytes(input, file);
                var (code, _, stderr) = Run("embed", "--input", input, "--n-eig", "2", "--output", output, "--device", "cpu");
                Assert.That(code, Is.EqualTo(2), $"{name}: {stderr}");
                var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
                Assert.That(lines, Has.Length.EqualTo(1), $"{name}: {stderr}");
                Assert.That(lines[0], Does.StartWith("ncut: error: " + input), name);
                PrintableLine.Assert(lines[0]["ncut: error: ".Length..].Replace(input + ": ", ""), name, MaxMessageChars);
                Assert.That(File.Exists(output), Is.False, $"{name}: no output");
            }
            TestContext.Out.WriteLine($"npy fuzz corpus through `ncut embed`: {cases.Count} cases, all exit 2 with one line");
            Assert.That(cases.Count, Is.GreaterThan(Hostile().Count()));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
