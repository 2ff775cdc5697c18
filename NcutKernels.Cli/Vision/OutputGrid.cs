// OutputGrid: how one item of an ONNX model output becomes a patch grid — N × C × h × w maps as they are, N × T × C tokens after their leading CLS/register tokens.
namespace NcutKernels.Cli.Vision;

/// <summary>
/// The patch grid of each item of a model output: a rank-4 output is read as N × C × h × w feature maps (NCHW, as CNNs
/// give them), a rank-3 output as N × T × C tokens (as ViTs give them) of which the first <see cref="Dropped"/> (CLS and
/// register tokens) are dropped and the remaining g² form a g × g grid, row by row.
/// </summary>
/// <param name="IsTokens">True for an N × T × C token output.</param>
/// <param name="Height">Grid rows.</param>
/// <param name="Width">Grid columns.</param>
/// <param name="Channels">Feature values per patch.</param>
/// <param name="Dropped">Leading tokens dropped (0 for feature maps).</param>
internal readonly record struct OutputGrid(bool IsTokens, int Height, int Width, int Channels, int Dropped)
{
    /// <summary>The most leading tokens <see cref="SquareTokens"/> drops on its own (a CLS token and up to 15 registers).</summary>
    public const int MaxAutoDropped = 16;

    /// <summary>
    /// The grid of output <paramref name="name"/> with shape <paramref name="shape"/> (N first). For tokens, the leading
    /// tokens dropped are <paramref name="dropTokens"/> when given, else the rule of <see cref="SquareTokens"/>.
    /// </summary>
    /// <exception cref="InvalidDataException">
    /// The shape is not N × C × h × w or N × T × C with positive sizes, or the tokens hold no square grid.
    /// </exception>
    /// <exception cref="UsageException"><paramref name="dropTokens"/> is given for feature maps, or leaves no square grid.</exception>
    public static OutputGrid Of(string name, IReadOnlyList<long> shape, int? dropTokens)
    {
        string dims = $"[{string.Join(", ", shape)}]";
        CheckRank(name, shape.Count, dims);
        if (shape.Any(d => d < 1 || d > int.MaxValue))
            throw new InvalidDataException($"--onnx-output '{name}': shape {dims} has an empty or oversized dimension");
        if (shape.Count == 4)
        {
            if (dropTokens is not null)
                throw new UsageException($"--drop-tokens applies to N × T × C token outputs; '{name}' is N × C × h × w {dims}");
            return new OutputGrid(false, (int)shape[2], (int)shape[3], (int)shape[1], 0);
        }
        int tokens = (int)shape[1];
        int dropped, side;
        if (dropTokens is { } r)
        {
            if (r >= tokens)
                throw new UsageException($"--drop-tokens {r}: output '{name}' has {tokens} tokens per item {dims}");
            side = (int)Math.Round(Math.Sqrt(tokens - r));
            if (side * side != tokens - r)
                throw new UsageException($"--drop-tokens {r}: the {tokens - r} tokens left of '{name}' {dims} are not a square grid");
            dropped = r;
        }
        else
            (dropped, side) = SquareTokens(tokens) ?? throw new InvalidDataException(
                $"--onnx-output '{name}': {tokens} tokens per item {dims} leave no square grid after dropping 0 to {MaxAutoDropped} leading tokens; give --drop-tokens R");
        return new OutputGrid(true, side, side, (int)shape[2], dropped);
    }

    /// <summary>Throws unless <paramref name="rank"/> is that of N × C × h × w feature maps (4) or N × T × C tokens (3).</summary>
    /// <param name="name">The output's name.</param>
    /// <param name="rank">Its number of dimensions.</param>
    /// <param name="dims">Its shape as printed, e.g. "[N, 12]".</param>
    /// <exception cref="InvalidDataException">Any other rank.</exception>
    public static void CheckRank(string name, int rank, string dims)
    {
        if (rank is not (3 or 4))
            throw new InvalidDataException($"--onnx-output '{name}': shape {dims} (rank {rank}) is neither N × C × h × w (feature maps) nor N × T × C (tokens)");
    }

    /// <summary>
    /// The token-dropping rule: the smallest r in 0..<see cref="MaxAutoDropped"/> (and below <paramref name="tokens"/>)
    /// for which <paramref name="tokens"/> − r is a square g², with that g; null when there is none. It finds 1 CLS token
    /// before 14 × 14 patches (197 → r = 1) or a CLS and 4 registers before 16 × 16 (261 → r = 5); on small grids it can
    /// be fooled (1 CLS + 4 registers + 2 × 2 patches = 9 tokens reads as a 3 × 3 grid), which --drop-tokens overrides.
    /// </summary>
    public static (int Dropped, int Side)? SquareTokens(int tokens)
    {
        for (int r = 0; r <= MaxAutoDropped && r < tokens; r++)
        {
            int side = (int)Math.Round(Math.Sqrt(tokens - r));
            if (side * side == tokens - r)
                return (r, side);
        }
        return null;
    }

    /// <summary>Item <paramref name="item"/> of the output <paramref name="values"/> (C order) as a patch grid.</summary>
    /// <exception cref="ArgumentException"><paramref name="values"/> is too short for that item.</exception>
    public FeatureMap Map(ReadOnlySpan<float> values, int item)
    {
        int patches = Height * Width, perItem = (IsTokens ? Dropped + patches : patches) * Channels;
        if ((long)(item + 1) * perItem > values.Length)
            throw new ArgumentException($"values has {values.Length} entries, item {item} needs {(long)(item + 1) * perItem}", nameof(values));
        var one = values.Slice(item * perItem, perItem);
        var features = new float[patches, Channels];
        for (int p = 0; p < patches; p++)
            for (int c = 0; c < Channels; c++)
                features[p, c] = IsTokens ? one[(Dropped + p) * Channels + c] : one[c * patches + p];
        return new FeatureMap(features, Height, Width);
    }

    /// <summary>What happened to the tokens, for stdout: e.g. "dropped 5 leading tokens (CLS/registers), 4×4 grid".</summary>
    public string TokenLine => Dropped switch
    {
        0 => $"no leading tokens dropped, {Height}×{Width} grid",
        1 => $"dropped 1 leading token (CLS/registers), {Height}×{Width} grid",
        _ => $"dropped {Dropped} leading tokens (CLS/registers), {Height}×{Width} grid",
    };
}
