// FeatureTensor: the B × H × W × C .npy that `ncut trace --features` reads, checked before any other work, with the names of its items.
using NcutKernels.IO;

namespace NcutKernels.Cli;

/// <summary>
/// A feature tensor given with --features: B items, each an H × W grid of C-channel features (float32 or float64, from
/// any framework), and the images drawn under them (none, or one per item in batch order).
/// </summary>
internal sealed class FeatureTensor
{
    private FeatureTensor(string path, NpyArray array, IReadOnlyList<string> images)
    {
        Path = path;
        Array = array;
        Images = images;
    }

    /// <summary>The .npy file.</summary>
    public string Path { get; }

    /// <summary>The tensor, shape (B, H, W, C).</summary>
    public NpyArray Array { get; }

    /// <summary>The images, one per item in batch order, or none.</summary>
    public IReadOnlyList<string> Images { get; }

    /// <summary>Items in the batch (B).</summary>
    public int Items => Array.Shape[0];

    /// <summary>
    /// The names of the items: the image paths when images are given, else "item0", "item1", … (the stems of their
    /// pictures and their names in trace.json).
    /// </summary>
    public IReadOnlyList<string> Names => Images.Count > 0 ? Images : Enumerable.Range(0, Items).Select(m => $"item{m}").ToArray();

    /// <summary>
    /// Reads <paramref name="path"/> and checks it: four dimensions of at least 1, B·H·W ≥ 2 rows, and none or B
    /// <paramref name="images"/>. Finiteness is checked as the rows are made (<see cref="Spectral.GridFeatures"/>).
    /// </summary>
    /// <exception cref="InvalidDataException">The file is missing, unreadable, not a float .npy, or of the wrong shape (the message names --features).</exception>
    /// <exception cref="UsageException">The number of images is neither 0 nor B.</exception>
    public static FeatureTensor Read(string path, IReadOnlyList<string> images)
    {
        NpyArray array;
        try
        {
            array = Npy.Read(path, Npy.MaxRank);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException or ArgumentException)
        {
            throw new InvalidDataException($"--features: {e.Message}", e);
        }
        string shape = $"({string.Join(", ", array.Shape)})";
        if (array.IsInteger)
            throw new InvalidDataException($"--features {path}: holds integers; features must be float32 or float64 (numpy: a.astype('float32'))");
        if (array.Shape.Length != 4)
            throw new InvalidDataException($"--features {path}: expected a 4-D array B × H × W × C (items × grid rows × grid columns × channels), got shape {shape}");
        if (array.Shape.Any(d => d < 1))
            throw new InvalidDataException($"--features {path}: shape {shape} has an empty dimension; B, H, W and C must each be at least 1");
        long rows = (long)array.Shape[0] * array.Shape[1] * array.Shape[2];
        if (rows < 2)
            throw new InvalidDataException($"--features {path}: shape {shape} holds {rows} feature row; NCUT needs at least 2 (B·H·W ≥ 2)");
        if (images.Count != 0 && images.Count != array.Shape[0])
            throw new UsageException($"--image: {images.Count} image{(images.Count == 1 ? "" : "s")} given for the {array.Shape[0]} items of --features {path}; "
                + "give none, or one per item in batch order");
        return new FeatureTensor(path, array, images);
    }
}
