// FeatureLayout: how the rows of a feature matrix map to (image, y, x) patch positions, with helpers to cut maps back out.
using System.Numerics;

namespace NcutKernels.Spectral;

/// <summary>
/// The row layout of features stacked from several images' patch grids: image 0's h0×w0 patches in row-major
/// order (row = y·w0 + x), then image 1's, and so on — the (image, h, w, c) tensor flattened to n×c.
/// </summary>
public sealed class FeatureLayout
{
    private readonly (int Height, int Width)[] _grids;
    private readonly int[] _offsets;

    /// <summary>A layout of one patch grid per image, in stacking order.</summary>
    /// <param name="grids">(height, width) of each image's patch grid; each at least 1×1.</param>
    public FeatureLayout(IReadOnlyList<(int Height, int Width)> grids)
    {
        ArgumentNullException.ThrowIfNull(grids);
        if (grids.Count == 0)
            throw new ArgumentException("grids must name at least one image.", nameof(grids));
        _grids = grids.ToArray();
        _offsets = new int[_grids.Length + 1];
        for (int i = 0; i < _grids.Length; i++)
        {
            var (h, w) = _grids[i];
            if (h < 1 || w < 1)
                throw new ArgumentOutOfRangeException(nameof(grids), $"image {i} has a {h}×{w} patch grid; both sides must be ≥ 1.");
            _offsets[i + 1] = checked(_offsets[i] + h * w);
        }
    }

    /// <summary>A layout of <paramref name="images"/> equal <paramref name="height"/>×<paramref name="width"/> patch grids (a B × H × W × C tensor's rows).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A count or side is below 1, or the rows exceed <see cref="int.MaxValue"/>.</exception>
    public static FeatureLayout OfEqualGrids(int images, int height, int width)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(images, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        if ((long)images * height * width > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(images), images, $"{images} grids of {height}×{width} patches are more than {int.MaxValue} rows.");
        return new FeatureLayout(Enumerable.Repeat((height, width), images).ToList());
    }

    /// <summary>Number of images.</summary>
    public int Images => _grids.Length;

    /// <summary>Total rows (patches over all images).</summary>
    public int Rows => _offsets[^1];

    /// <summary>Patch grid height of image <paramref name="image"/>.</summary>
    public int Height(int image) => _grids[CheckImage(image)].Height;

    /// <summary>Patch grid width of image <paramref name="image"/>.</summary>
    public int Width(int image) => _grids[CheckImage(image)].Width;

    /// <summary>First row of image <paramref name="image"/>.</summary>
    public int Offset(int image) => _offsets[CheckImage(image)];

    /// <summary>The row holding patch (y, x) of image <paramref name="image"/>.</summary>
    public int Row(int image, int y, int x)
    {
        var (h, w) = _grids[CheckImage(image)];
        if ((uint)y >= (uint)h)
            throw new ArgumentOutOfRangeException(nameof(y), y, $"y must be in 0..{h - 1} for image {image}.");
        if ((uint)x >= (uint)w)
            throw new ArgumentOutOfRangeException(nameof(x), x, $"x must be in 0..{w - 1} for image {image}.");
        return _offsets[image] + y * w + x;
    }

    /// <summary>Channel <paramref name="channel"/> of image <paramref name="image"/> as an h×w map.</summary>
    /// <param name="features">n×c features in this layout.</param>
    /// <param name="image">Image index.</param>
    /// <param name="channel">Column of <paramref name="features"/>.</param>
    public T[,] Map<T>(T[,] features, int image, int channel) where T : unmanaged, INumberBase<T>
    {
        CheckRows(features, nameof(features));
        if ((uint)channel >= (uint)features.GetLength(1))
            throw new ArgumentOutOfRangeException(nameof(channel), channel, $"channel must be in 0..{features.GetLength(1) - 1}.");
        var (h, w) = _grids[CheckImage(image)];
        var map = new T[h, w];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                map[y, x] = features[_offsets[image] + y * w + x, channel];
        return map;
    }

    /// <summary>Per-row values (labels, scores) of image <paramref name="image"/> as an h×w map.</summary>
    public TValue[,] Map<TValue>(IReadOnlyList<TValue> values, int image)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count != Rows)
            throw new ArgumentException($"values has {values.Count} entries, the layout {Rows} rows.", nameof(values));
        var (h, w) = _grids[CheckImage(image)];
        var map = new TValue[h, w];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                map[y, x] = values[_offsets[image] + y * w + x];
        return map;
    }

    /// <summary>Throws unless <paramref name="matrix"/> has one row per patch of this layout.</summary>
    public void CheckRows<T>(T[,] matrix, string paramName)
    {
        ArgumentNullException.ThrowIfNull(matrix, paramName);
        if (matrix.GetLength(0) != Rows)
            throw new ArgumentException($"{paramName} has {matrix.GetLength(0)} rows, the layout {Rows} patches.", paramName);
    }

    private int CheckImage(int image) => (uint)image < (uint)_grids.Length
        ? image
        : throw new ArgumentOutOfRangeException(nameof(image), image, $"image must be in 0..{_grids.Length - 1}.");
}
