// NystromFitFileFuzzTests: a fixed-seed fuzz corpus of fit files (byte flips, truncations, hostile header fields and array values, with and without a valid CRC-32, wrong magic or version) — every changed file ends as one printable InvalidDataException line, quickly and without large allocations, also through `ncut transform`.
using System.Buffers.Binary;
using NcutKernels.IO;
using NcutKernels.Spectral;
using NcutKernels.Tests.IO;
using NUnit.Framework;
using static NcutKernels.Tests.Cli.CliHarness;

namespace NcutKernels.Tests.Spectral;

[TestFixture]
public class NystromFitFileFuzzTests : CpuFixture
{
    private const int Seed = 20261207;
    private const int FlipsPerFile = 150, TruncationsPerFile = 40;

    /// <summary>Longest error message accepted (without the path).</summary>
    private const int MaxMessageChars = 300;

    /// <summary>Offsets of the version 1 header fields (docs/FIT-FORMAT.md): the bytes after magic, version and header length.</summary>
    private const int Version = 8, HeaderLength = 12, Element = 16, PathCode = 17, Affinity = 18, Propagation = 19, Precision = 20, Flags = 21,
        Reserved = 22, Points = 24, Cols = 28, Landmarks = 32, K = 36, Anchors = 40, Neighbours = 44, Exponent = 52, MaxAbs = 56, Sigma = 64,
        PropagationSigma = 72, Residual = 80, Payload = 88, Arrays = 96;

    private List<(string Name, byte[] File)> _seeds = null!;
    private string _dir = null!;

    /// <summary>Three valid fits: Nyström float32 classic, exact float64 renormalized (no degrees stored), Nyström float64 ncut_pytorch weights.</summary>
    [OneTimeSetUp]
    public void MakeSeeds()
    {
        _dir = TempFolder.Create("ncut-fit-fuzz-");
        var x = TestData.Blobs(200, 3, 3, separation: 4, seed: 5);
        _seeds =
        [
            ("nystrom-f4-classic", Save(TestData.ToFloat(x), EmbeddingPath.Nystrom, NystromPropagation.Classic)),
            ("exact-f8-renormalized", Save(TestData.Blobs(60, 3, 3, separation: 4, seed: 6), EmbeddingPath.Exact, NystromPropagation.Renormalized)),
            ("nystrom-f8-ncutpytorch", Save(x, EmbeddingPath.Nystrom, NystromPropagation.NcutPytorch)),
        ];
    }

    [OneTimeTearDown]
    public void DeleteFolder() => Directory.Delete(_dir, recursive: true);

    private byte[] Save<T>(T[,] x, EmbeddingPath path, NystromPropagation propagation) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        using var fit = new NystromNcut(Cpu, new NcutOptions { EigenvectorCount = 2 }, new NystromOptions { Path = path, Propagation = propagation, AnchorCount = 16 });
        fit.Fit(x);
        using var stream = new MemoryStream();
        fit.Save(stream);
        return stream.ToArray();
    }

    /// <summary>Where each array of a fit starts, from its header (the layout of docs/FIT-FORMAT.md), and the checksum's offset.</summary>
    private static Dictionary<string, int> Layout(byte[] f)
    {
        int e = f[Element], k = I32(f, K), m = I32(f, Landmarks), d = I32(f, Cols), a = I32(f, Anchors);
        int c = f[Propagation] == 0 ? k + 1 : k;
        var at = new Dictionary<string, int>();
        int offset = Arrays;
        foreach (var (name, bytes) in new[]
                 {
                     ("eigenvalues", 8 * k), ("signs", 8 * k), ("rows", 4 * m), ("features", e * m * d), ("vectors", 8 * m * k),
                     ("degrees", f[Flags] == 1 ? 8 * m : 0), ("anchors", 4 * a), ("anchorDegrees", f[Propagation] == 1 ? 0 : 8 * a), ("values", e * a * c),
                 })
        {
            at[name] = offset;
            offset += bytes;
        }
        at["crc"] = offset;
        return at;
    }

    private static int I32(byte[] f, int at) => BinaryPrimitives.ReadInt32LittleEndian(f.AsSpan(at));

    /// <summary>A copy of <paramref name="f"/> with <paramref name="edit"/> applied and, when <paramref name="fixCrc"/>, the CRC-32 recomputed so that only the reader's other checks can refuse it.</summary>
    private static byte[] Edit(byte[] f, Action<byte[]> edit, bool fixCrc)
    {
        var g = (byte[])f.Clone();
        edit(g);
        if (fixCrc && g.Length >= 4)
            BinaryPrimitives.WriteUInt32LittleEndian(g.AsSpan(g.Length - 4), Crc32Tests.Reference(g.AsSpan(0, g.Length - 4)));
        return g;
    }

    /// <summary>
    /// Hostile edits of one valid fit, each with and without a recomputed checksum: header fields, codes, versions, array values.
    /// <c>MayStayValid</c>: with the checksum recomputed the edit can still describe a fit (a Nyström fit of more points, another
    /// exponent of the feature scale within ±1100, another neighbour count within the anchors, max|x| = 0, the cosine
    /// affinity with a nearest-anchor propagation), which then loads; every
    /// other edit must be refused.
    /// </summary>
    private static IEnumerable<(string Name, byte[] File, bool MayStayValid)> Hostile(string name, byte[] f)
    {
        var at = Layout(f);
        var edits = new List<(string, Action<byte[]>, bool)>();
        foreach (int field in new[] { Points, Cols, Landmarks, K, Anchors, Neighbours, Exponent })
            foreach (int v in new[] { int.MaxValue, int.MinValue, -1, 0, 1 << 30, I32(f, field) + 1 })
                edits.Add(($"i32@{field}={v}", g => BinaryPrimitives.WriteInt32LittleEndian(g.AsSpan(field), v), field switch
                {
                    Points => f[PathCode] == 1 && v >= I32(f, Landmarks),
                    Exponent => Math.Abs((long)v) <= 1100,
                    Neighbours => f[Propagation] != 0 && v >= 1 && v <= I32(f, Anchors),
                    _ => false,
                }));
        foreach (long v in new[] { long.MaxValue, long.MinValue, -1L, 1L << 40, BinaryPrimitives.ReadInt64LittleEndian(f.AsSpan(Payload)) + 8 })
            edits.Add(($"payload={v}", g => BinaryPrimitives.WriteInt64LittleEndian(g.AsSpan(Payload), v), false));
        foreach (int field in new[] { MaxAbs, Sigma, PropagationSigma, Residual })
            foreach (double v in new[] { double.NaN, double.PositiveInfinity, -1, 0 })
                edits.Add(($"f64@{field}={v}", g => BinaryPrimitives.WriteDoubleLittleEndian(g.AsSpan(field), v), field == MaxAbs && v == 0));
        foreach (int field in new[] { Element, PathCode, Affinity, Propagation, Precision, Flags, Reserved })
            foreach (byte v in new byte[] { 3, 9, 255 })
                edits.Add(($"u8@{field}={v}", g => g[field] = v, false));
        var named = new List<(string, Action<byte[]>)>
        {
            ("wrong-magic", g => g[3] = (byte)'X'),
            ("eigenvalue-nan", g => BinaryPrimitives.WriteDoubleLittleEndian(g.AsSpan(at["eigenvalues"]), double.NaN)),
            ("sign-half", g => BinaryPrimitives.WriteDoubleLittleEndian(g.AsSpan(at["signs"]), 0.5)),
            ("rows-descending", g => BinaryPrimitives.WriteInt32LittleEndian(g.AsSpan(at["rows"]), int.MaxValue)),
            ("feature-nan", g => g.AsSpan(at["features"], g[Element]).Fill(0xFF)),
            ("vector-nan", g => BinaryPrimitives.WriteDoubleLittleEndian(g.AsSpan(at["vectors"]), double.NaN)),
            ("anchor-out-of-range", g => BinaryPrimitives.WriteInt32LittleEndian(g.AsSpan(at["anchors"]), I32(g, Landmarks))),
            ("anchor-negative", g => BinaryPrimitives.WriteInt32LittleEndian(g.AsSpan(at["anchors"]), -5)),
            ("anchor-repeated", g => g.AsSpan(at["anchors"], 4).CopyTo(g.AsSpan(at["anchors"] + 4))),
            ("value-nan", g => g.AsSpan(at["values"], g[Element]).Fill(0xFF)),
            ("crc-flipped", g => g[^1] ^= 0x40),
        };
        foreach (uint v in new[] { 0u, 2u, 255u, uint.MaxValue })
            named.Add(($"version={v}", g => BinaryPrimitives.WriteUInt32LittleEndian(g.AsSpan(Version), v)));
        foreach (uint v in new[] { 0u, 79u, 81u, uint.MaxValue })
            named.Add(($"header-length={v}", g => BinaryPrimitives.WriteUInt32LittleEndian(g.AsSpan(HeaderLength), v)));
        if (f[Propagation] != 1)
            named.Add(("anchor-degree-zero", g => BinaryPrimitives.WriteDoubleLittleEndian(g.AsSpan(at["anchorDegrees"]), 0)));
        if (f[Flags] == 1)
            named.Add(("degree-negative", g => BinaryPrimitives.WriteDoubleLittleEndian(g.AsSpan(at["degrees"]), -1)));
        edits.AddRange(named.Select(e => (e.Item1, e.Item2, false)));
        // The cosine affinity goes with the nearest-anchor propagations only.
        edits.Add(("affinity-cosine", g => g[Affinity] = 1, f[Propagation] != 0));
        foreach (var (edit, apply, mayStayValid) in edits)
        {
            yield return ($"{name}/{edit}", Edit(f, apply, fixCrc: false), false);
            yield return ($"{name}/{edit}+crc", Edit(f, apply, fixCrc: true), mayStayValid);
        }
    }

    /// <summary>Hand-made files that are no fit at all.</summary>
    private static IEnumerable<(string Name, byte[] File)> NotFits()
    {
        yield return ("empty", []);
        yield return ("magic-only", [0x93, (byte)'N', (byte)'C', (byte)'U', (byte)'T', (byte)'F', (byte)'I', (byte)'T']);
        yield return ("magic-and-version", [0x93, (byte)'N', (byte)'C', (byte)'U', (byte)'T', (byte)'F', (byte)'I', (byte)'T', 1, 0, 0, 0]);
        yield return ("npy", NpyBytes.Build("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", NpyBytes.Bytes(new double[] { 1, 2 })));
        yield return ("text", "not a fit\n"u8.ToArray());
        yield return ("zeros", new byte[4096]);
    }

    /// <summary>Byte flips (1–4 bytes, half of them in the header) and truncations of one valid fit.</summary>
    private static IEnumerable<(string Name, byte[] File)> Mutations(string name, byte[] f, Random rng)
    {
        for (int i = 0; i < FlipsPerFile; i++)
        {
            var g = (byte[])f.Clone();
            int flips = rng.Next(1, 5);
            for (int j = 0; j < flips; j++)
                g[rng.Next(2) == 0 ? rng.Next(Arrays) : rng.Next(g.Length)] = (byte)rng.Next(256);
            yield return ($"{name}/flip-{i}", g);
        }
        foreach (int length in new[] { 0, 7, 8, 12, 16, Arrays - 1, Arrays, f.Length - 4, f.Length - 1 })
            yield return ($"{name}/truncate-at-{length}", f[..length]);
        for (int i = 0; i < TruncationsPerFile; i++)
            yield return ($"{name}/truncate-{i}", f[..rng.Next(f.Length)]);
    }

    /// <summary>The corpus: every mutation and hostile edit of the three seeds, then the files that are no fit.</summary>
    private List<(string Name, byte[] File, bool MayStayValid)> Corpus()
    {
        var rng = new Random(Seed);
        var corpus = new List<(string, byte[], bool)>();
        foreach (var (name, file) in _seeds)
        {
            corpus.AddRange(Mutations(name, file, rng).Select(m => (m.Name, m.File, false)));
            corpus.AddRange(Hostile(name, file));
        }
        corpus.AddRange(NotFits().Select(h => (h.Name, h.File, false)));
        return corpus;
    }

    /// <summary>Each seed with bytes after its checksum: a file must end there; a stream may go on.</summary>
    private IEnumerable<(string Name, byte[] File)> Appended() =>
        _seeds.SelectMany(s => new[] { ($"{s.Name}/appended", (byte[])[.. s.File, 0]), ($"{s.Name}/doubled", [.. s.File, .. s.File]) });

    /// <summary>
    /// Reads <paramref name="stream"/> as a fit: null when it loads, else the message of its <see cref="InvalidDataException"/>; any
    /// other exception fails the test. Each read must end within 10 s and allocate at most 16 bytes per byte of the file plus 1 MiB.
    /// </summary>
    private string? Outcome(string name, int fileLength, Func<NystromNcut> load)
    {
        string? message = null;
        long allocated = 0;
        var run = Task.Run(() =>
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                load().Dispose();
            }
            catch (InvalidDataException e)
            {
                message = e.Message;
            }
            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        });
        Assert.That(run.Wait(TimeSpan.FromSeconds(10)), Is.True, $"{name}: the read ends (no hang)");
        Assert.That(allocated, Is.LessThanOrEqualTo(16L * fileLength + (1 << 20)), $"{name}: allocations bounded by the file's size");
        return message;
    }

    [Test]
    public void Corpus_EveryChangedFileIsRefusedWithOnePrintableLine()
    {
        var corpus = Corpus();
        int loaded = 0, stillValid = 0, refused = 0;
        var kinds = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var (name, file, mayStayValid) in corpus)
        {
            bool unchanged = _seeds.Any(s => s.File.AsSpan().SequenceEqual(file));
            string? seekable = Outcome(name, file.Length, () => NystromNcut.Load(Cpu, new MemoryStream(file)));
            string? unseekable = Outcome(name + " (unseekable)", file.Length, () => NystromNcut.Load(Cpu, new NpyHostileTests.UnseekableStream(file)));
            Assert.That(unseekable is null, Is.EqualTo(seekable is null), $"{name}: seekable and unseekable reads agree ({seekable} / {unseekable})");
            if (unchanged)
            {
                Assert.That(seekable, Is.Null, $"{name}: an unchanged file loads");
                loaded++;
                continue;
            }
            if (seekable is null)
            {
                Assert.That(mayStayValid, Is.True, $"{name}: a changed file is refused");
                stillValid++;
                continue;
            }
            PrintableLine.Assert(seekable, name, MaxMessageChars);
            refused++;
            string kind = string.Join(' ', seekable.Split(' ').Take(4));
            kinds[kind] = kinds.GetValueOrDefault(kind) + 1;
        }
        foreach (var (name, file) in Appended())
            Assert.That(Outcome(name, file.Length, () => NystromNcut.Load(Cpu, new MemoryStream(file))), Is.Null, $"{name}: a stream may go on after the fit");
        TestContext.Out.WriteLine($"fit fuzz corpus (seed {Seed}): {corpus.Count} cases: {loaded} unchanged and loaded, {stillValid} edited with a recomputed " +
            $"checksum into another valid fit and loaded, {refused} refused with InvalidDataException, 0 other outcomes");
        foreach (var (kind, count) in kinds.OrderByDescending(k => k.Value))
            TestContext.Out.WriteLine($"  {count,5}  {kind} …");
        Assert.That(refused, Is.GreaterThan(corpus.Count * 9 / 10), "the corpus mostly holds changed files (sanity)");
    }

    [Test]
    public void Corpus_FromFiles_MessagesStartWithThePath_AndAppendedBytesAreRefused()
    {
        var corpus = Corpus().Where((c, i) => i % 5 == 0 && !c.MayStayValid && !_seeds.Any(s => s.File.AsSpan().SequenceEqual(c.File)))
            .Select(c => (c.Name, c.File)).Concat(Appended()).ToList();
        for (int i = 0; i < corpus.Count; i++)
        {
            var (name, file) = corpus[i];
            string path = Path.Combine(_dir, $"case{i}.ncutfit");
            File.WriteAllBytes(path, file);
            string? message = Outcome(name, file.Length, () => NystromNcut.Load(Cpu, path));
            Assert.That(message, Does.StartWith(path + ": "), name);
            if (name.EndsWith("appended", StringComparison.Ordinal) || name.EndsWith("doubled", StringComparison.Ordinal))
                Assert.That(message, Does.Contain("bytes follow the checksum"), name);
        }
    }

    [Test]
    public void Corpus_ThroughTheCli_ExitsTwoWithOnePrintableLine()
    {
        string shard = Path.Combine(_dir, "shard.npy");
        Npy.Write(shard, TestData.Blobs(20, 3, 3, separation: 4, seed: 8));
        var corpus = Corpus();
        int count = 0;
        for (int i = 0; i < corpus.Count; i += 9)
        {
            var (name, file, mayStayValid) = corpus[i];
            if (mayStayValid || _seeds.Any(s => s.File.AsSpan().SequenceEqual(file)))
                continue;
            string fit = Path.Combine(_dir, "bad.ncutfit"), output = Path.Combine(_dir, "u.npy");
            File.WriteAllBytes(fit, file);
            var (code, _, stderr) = Run("transform", "--fit", fit, "--input", shard, "--output", output, "--device", "cpu");
            Assert.That(code, Is.EqualTo(2), $"{name}: {stderr}");
            string line = AssertOneErrorLine(stderr, fit + ": ");
            PrintableLine.Assert(line.Replace(fit + ": ", ""), name, MaxMessageChars + 20);
            Assert.That(File.Exists(output), Is.False, $"{name}: no output");
            count++;
        }
        TestContext.Out.WriteLine($"fit fuzz corpus through `ncut transform`: {count} cases, all exit 2 with one line");
        Assert.That(count, Is.GreaterThan(50));
    }
}
