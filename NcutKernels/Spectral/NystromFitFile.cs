// NystromFitFile: a NystromNcut fit as saved (format version 1, docs/FIT-FORMAT.md) — its fields, their writing, and their reading with every length and value checked.
using System.Numerics;
using NcutKernels.Core;
using NcutKernels.IO;

namespace NcutKernels.Spectral;

/// <summary>
/// What <see cref="NystromNcut.Transform{T}(T[,])"/> needs from a fit, as a file holds it: the settings that bear on the transform,
/// the fitted points n and columns d, the feature scale, σ (scaled units), the eigenvalues and output column signs, the landmark
/// rows and features (m×d, in the fit's element type), their eigenvectors (m×k, float64) and graph degrees (null when the fit kept
/// none), and the prepared propagation: its plan and its values (a×c in the fit's element type, output signs applied).
/// </summary>
internal sealed record NystromFitFile(EmbeddingPath Path, AffinityKind Affinity, NystromPropagation Propagation, DistancePrecision Precision, int Seed,
    int Points, int Cols, FeatureScale Scale, double Sigma, double[] Eigenvalues, double[] OutputSigns, int[] Indices, Array Features,
    double[] Vectors, double[]? Degrees, PropagationPlan Plan, Array Values)
{
    /// <summary>The first eight bytes of every fit file: 0x93 then "NCUTFIT" in ASCII.</summary>
    public static ReadOnlySpan<byte> Magic => FileMagic.Fit;

    /// <summary>The format version this code writes and the newest it reads.</summary>
    public const uint Version = 1;

    /// <summary>Bytes of the version 1 header (after the magic, the version and this length).</summary>
    public const uint HeaderBytes = 80;

    /// <summary>Codes of the enumerations in the file: a value's code is its index here (fixed by the format, not the enum's number).</summary>
    private static readonly EmbeddingPath[] PathCodes = [EmbeddingPath.Exact, EmbeddingPath.Nystrom];

    private static readonly AffinityKind[] AffinityCodes = [AffinityKind.Rbf, AffinityKind.Cosine];

    private static readonly NystromPropagation[] PropagationCodes = [NystromPropagation.Classic, NystromPropagation.Renormalized, NystromPropagation.NcutPytorch];

    private static readonly DistancePrecision[] PrecisionCodes = [DistancePrecision.Tf32x3, DistancePrecision.Fp32, DistancePrecision.Tf32];

    /// <summary>Columns of the propagation values: k + 1 for the classic extension (the eigenvector columns and the weights' column), else k.</summary>
    private static int ValueColumns(NystromPropagation propagation, int k) => propagation == NystromPropagation.Classic ? k + 1 : k;

    /// <summary>Whether the plan carries per-anchor degrees: every propagation but the renormalized one (whose rows divide by their weights' sum).</summary>
    private static bool HasAnchorDegrees(NystromPropagation propagation) => propagation != NystromPropagation.Renormalized;

    /// <summary>Bytes of the arrays after the header (sizes checked against <see cref="Array.MaxLength"/> first, so no product overflows).</summary>
    private static long PayloadBytes(int element, int m, int d, int k, int a, int c, bool degrees, bool anchorDegrees) =>
        2L * k * 8 + 4L * m + (long)element * m * d + 8L * m * k + (degrees ? 8L * m : 0) + 4L * a + (anchorDegrees ? 8L * a : 0) + (long)element * a * c;

    /// <summary>Writes the file: magic, version, header, arrays, CRC-32 (docs/FIT-FORMAT.md).</summary>
    public void Write(Stream stream)
    {
        int k = Eigenvalues.Length, m = Indices.Length, a = Plan.Rows.Length, c = ValueColumns(Propagation, k), element = Features is double[] ? 8 : 4;
        bool anchorDegrees = HasAnchorDegrees(Propagation);
        var w = new ChecksummedWriter(stream);
        w.Write(Magic);
        w.UInt32(Version);
        w.UInt32(HeaderBytes);
        w.Byte((byte)element);
        w.Byte(Code(PathCodes, Path));
        w.Byte(Code(AffinityCodes, Affinity));
        w.Byte(Code(PropagationCodes, Propagation));
        w.Byte(Code(PrecisionCodes, Precision));
        w.Byte(Degrees is null ? (byte)0 : (byte)1);
        w.Byte(0);
        w.Byte(0);
        foreach (int v in new[] { Points, Cols, m, k, a, Plan.Neighbours, Seed, Scale.Exponent })
            w.Int32(v);
        foreach (double v in new[] { Scale.MaxAbs, Sigma, Plan.Sigma, Plan.Residual })
            w.Double(v);
        w.Int64(PayloadBytes(element, m, Cols, k, a, c, Degrees is not null, anchorDegrees));
        w.Array<double>(Eigenvalues);
        w.Array<double>(OutputSigns);
        w.Array<int>(Indices);
        WriteElements(w, Features);
        w.Array<double>(Vectors);
        if (Degrees is not null)
            w.Array<double>(Degrees);
        w.Array<int>(Plan.Rows);
        if (anchorDegrees)
            w.Array<double>(Plan.Degrees!);
        WriteElements(w, Values);
        w.WriteChecksum();
    }

    private static void WriteElements(ChecksummedWriter w, Array values)
    {
        if (values is double[] wide)
            w.Array<double>(wide);
        else
            w.Array<float>((float[])values);
    }

    private static byte Code<TEnum>(TEnum[] codes, TEnum value) where TEnum : struct, Enum
    {
        int code = Array.IndexOf(codes, value);
        return code >= 0 ? (byte)code : throw new InvalidOperationException($"{value} has no code in the fit format.");
    }

    /// <summary>
    /// Reads one fit from the stream's current position, checking the magic, the version, every header field and every
    /// declared length (against the bytes a seekable stream still holds, before allocating), the CRC-32, and then every value.
    /// </summary>
    /// <param name="stream">Read from its current position.</param>
    /// <param name="wholeStream">Whether the fit must end the stream (a file): bytes after the checksum are then refused.</param>
    /// <exception cref="InvalidDataException">The bytes are not a fit this version reads; the message says what is wrong.</exception>
    public static NystromFitFile Read(Stream stream, bool wholeStream)
    {
        var r = new ChecksummedReader(stream);
        Span<byte> magic = stackalloc byte[8];
        r.Read(magic, "magic bytes");
        if (!magic.SequenceEqual(Magic))
            throw new InvalidDataException(magic[..6].SequenceEqual(FileMagic.Npy)
                ? "a .npy file, not an ncut fit file (`ncut fit … --fit FIT` writes one)."
                : "not an ncut fit file (bad magic bytes).");
        uint version = r.UInt32("format version");
        if (version == 0)
            throw new InvalidDataException("format version 0 does not exist (versions start at 1).");
        if (version > Version)
            throw new InvalidDataException($"format version {version} is newer than this reader's ({Version}): the fit was written by a newer NcutKernels.");
        uint headerBytes = r.UInt32("header length");
        if (headerBytes != HeaderBytes)
            throw new InvalidDataException($"the version {version} header has {HeaderBytes} bytes, the file says {headerBytes}.");
        int element = r.Byte("header");
        var path = Decode(PathCodes, r.Byte("header"), "path");
        var affinity = Decode(AffinityCodes, r.Byte("header"), "affinity");
        var propagation = Decode(PropagationCodes, r.Byte("header"), "propagation");
        var precision = Decode(PrecisionCodes, r.Byte("header"), "distance precision");
        int flags = r.Byte("header"), reserved = r.Byte("header") | r.Byte("header");
        int n = r.Int32("header"), d = r.Int32("header"), m = r.Int32("header"), k = r.Int32("header"), a = r.Int32("header");
        int neighbours = r.Int32("header"), seed = r.Int32("header"), exponent = r.Int32("header");
        double maxAbs = r.Double("header"), sigma = r.Double("header"), propagationSigma = r.Double("header"), residual = r.Double("header");
        long payload = r.Int64("header");

        Check(element is 4 or 8, $"element size {element} (4: float32, 8: float64)");
        Check(flags is 0 or 1 && reserved == 0, $"unknown flags {flags} or non-zero reserved bytes");
        Check(propagation != NystromPropagation.Classic || affinity == AffinityKind.Rbf, "the classic extension with a cosine affinity");
        Check(n >= 2, $"{n} fitted points (at least 2)");
        Check(d >= 1, $"{d} columns (at least 1)");
        Check(k >= 1, $"{k} eigenvectors (at least 1)");
        Check(m > k && m <= n, $"{m} landmarks for {n} points and {k} eigenvectors (k < m ≤ n)");
        Check(path == EmbeddingPath.Nystrom || m == n, $"an exact fit with {m} landmarks of {n} points");
        Check(a >= 1 && a <= m, $"{a} propagation anchors for {m} landmarks");
        Check(propagation == NystromPropagation.Classic ? neighbours == a : neighbours >= 1 && neighbours <= a, $"{neighbours} neighbours for {a} anchors");
        Check(exponent is >= -1100 and <= 1100 && double.IsFinite(maxAbs) && maxAbs >= 0, $"feature scale 2^{exponent}, max|x| {maxAbs}");
        // The smallest σ the fit's precision can use (1/(2σ²) overflows below it), as a fit checks it.
        double minSigma = element == 4 ? FeatureScale.MinScaledSigma<float>() : FeatureScale.MinScaledSigma<double>();
        Check(double.IsFinite(sigma) && sigma >= minSigma, $"σ = {sigma} (at least {minSigma:G3} in float{8 * element})");
        Check(double.IsFinite(propagationSigma) && propagationSigma >= minSigma, $"propagation σ = {propagationSigma} (at least {minSigma:G3} in float{8 * element})");
        Check(propagation == NystromPropagation.Classic ? double.IsFinite(residual) && residual >= 0 : double.IsNaN(residual), $"subset residual {residual}");
        int c = ValueColumns(propagation, k);
        foreach (var (count, what) in new[] { ((long)m * d, "landmark features"), ((long)m * k, "eigenvectors"), ((long)a * c, "propagation values") })
            Check(count <= Array.MaxLength, $"{count} values of {what}, more than an array can hold");
        bool anchorDegrees = HasAnchorDegrees(propagation);
        long expected = PayloadBytes(element, m, d, k, a, c, flags == 1, anchorDegrees);
        Check(payload == expected, $"{payload} bytes of arrays where its sizes need {expected}");
        r.Require(payload + 4, "arrays and checksum");

        var eigenvalues = r.Array<double>(k, "eigenvalues");
        var signs = r.Array<double>(k, "output signs");
        var indices = r.Array<int>(m, "landmark rows");
        Array features = element == 8 ? r.Array<double>((long)m * d, "landmark features") : r.Array<float>((long)m * d, "landmark features");
        var vectors = r.Array<double>((long)m * k, "eigenvectors");
        var degrees = flags == 1 ? r.Array<double>(m, "landmark degrees") : null;
        var rows = r.Array<int>(a, "anchor positions");
        var anchorDegreeValues = anchorDegrees ? r.Array<double>(a, "anchor degrees") : null;
        Array values = element == 8 ? r.Array<double>((long)a * c, "propagation values") : r.Array<float>((long)a * c, "propagation values");
        r.ExpectChecksum();
        if (wholeStream)
            r.ExpectEnd();

        CheckFinite<double>(eigenvalues, "eigenvalues");
        Check(signs.All(s => s is 1 or -1), "output signs other than ±1");
        Check(indices.Select((row, i) => row >= 0 && row < n && (i == 0 || row > indices[i - 1])).All(ok => ok), $"landmark rows not ascending within 0..{n - 1}");
        CheckElements(features, "landmark features");
        CheckFinite<double>(vectors, "eigenvectors");
        if (degrees is not null)
            Check(degrees.All(v => double.IsFinite(v) && v >= 0), "landmark degrees that are negative or not finite");
        Check(Distinct(rows, m), $"anchor positions repeated or outside 0..{m - 1}");
        if (anchorDegreeValues is not null)
            Check(anchorDegreeValues.All(v => double.IsFinite(v) && v > 0), "anchor degrees that are not finite and positive");
        CheckElements(values, "propagation values");
        var plan = new PropagationPlan(rows, anchorDegreeValues, propagationSigma, neighbours, propagation == NystromPropagation.Classic, residual);
        return new NystromFitFile(path, affinity, propagation, precision, seed, n, d, new FeatureScale(exponent, maxAbs), sigma, eigenvalues, signs,
            indices, features, vectors, degrees, plan, values);
    }

    private static TEnum Decode<TEnum>(TEnum[] codes, byte code, string what) where TEnum : struct, Enum =>
        code < codes.Length ? codes[code] : throw new InvalidDataException($"unknown {what} code {code} (known: 0..{codes.Length - 1}).");

    private static void Check(bool ok, string what)
    {
        if (!ok)
            throw new InvalidDataException($"the fit holds {what}: the file is not a valid ncut fit.");
    }

    /// <summary>Whether every position lies in 0..m−1 and none repeats.</summary>
    private static bool Distinct(int[] positions, int m)
    {
        var seen = new bool[m];
        foreach (int j in positions)
        {
            if (j < 0 || j >= m || seen[j])
                return false;
            seen[j] = true;
        }
        return true;
    }

    private static void CheckElements(Array values, string what)
    {
        if (values is double[] wide)
            CheckFinite<double>(wide, what);
        else
            CheckFinite<float>((float[])values, what);
    }

    private static void CheckFinite<T>(ReadOnlySpan<T> values, string what) where T : unmanaged, IFloatingPointIeee754<T> =>
        Check(FiniteScan.FirstNonFinite(values) < 0, $"a non-finite value among its {what}");
}
