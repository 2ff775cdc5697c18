// GridFeatures: a B × H × W × C tensor (B items, each an H × W grid of C-channel features) as n × C feature rows and their FeatureLayout.
using System.Numerics;

namespace NcutKernels.Spectral;

/// <summary>
/// Reads a row-major B × H × W × C feature tensor — a batch of B feature grids from any model, e.g. a ViT's patch tokens
/// without the CLS token, reshaped to the patch grid — into the (B·H·W) × C rows <see cref="ChannelTracer"/> and
/// <see cref="Ncut"/> take, in <see cref="FeatureLayout"/> order: item 0's grid row by row, then item 1's, and so on.
/// </summary>
public static class GridFeatures
{
    /// <summary>The rows of <paramref name="tensor"/> converted to <typeparamref name="T"/>, and the layout of its B equal grids.</summary>
    /// <param name="tensor">The values in C order: element (b, y, x, c) at ((b·H + y)·W + x)·C + c.</param>
    /// <param name="shape">(B, H, W, C), each at least 1.</param>
    /// <exception cref="ArgumentNullException"><paramref name="shape"/> is null.</exception>
    /// <exception cref="ArgumentException">
    /// <paramref name="shape"/> is not four dimensions of at least 1, <paramref name="tensor"/>'s length is not their
    /// product, or <paramref name="tensor"/> holds a NaN or ±∞, or a value too large for <typeparamref name="T"/> (the message
    /// names its item, grid row and column, and channel).
    /// </exception>
    public static (T[,] Rows, FeatureLayout Layout) FromTensor<TSource, T>(ReadOnlySpan<TSource> tensor, IReadOnlyList<int> shape)
        where TSource : unmanaged, IFloatingPointIeee754<TSource>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(shape);
        if (shape.Count != 4 || shape.Any(d => d < 1))
            throw new ArgumentException($"shape must be four dimensions B × H × W × C of at least 1 each, got ({string.Join(", ", shape)}).", nameof(shape));
        int batch = shape[0], height = shape[1], width = shape[2], channels = shape[3];
        long count = (long)batch * height * width * channels;
        if (tensor.Length != count)
            throw new ArgumentException($"tensor holds {tensor.Length} values, shape ({batch}, {height}, {width}, {channels}) needs {count}.", nameof(tensor));
        var layout = FeatureLayout.OfEqualGrids(batch, height, width);
        var rows = new T[layout.Rows, channels];
        int i = 0;
        for (int r = 0; r < layout.Rows; r++)
            for (int c = 0; c < channels; c++, i++)
            {
                var v = tensor[i];
                var t = T.CreateChecked(v);
                if (!T.IsFinite(t))
                    throw new ArgumentException(TSource.IsFinite(v)
                        ? $"tensor value {v} at {Position(r, c, height, width)} overflows {typeof(T).Name}."
                        : $"tensor contains a non-finite value {v} at {Position(r, c, height, width)}.", nameof(tensor));
                rows[r, c] = t;
            }
        return (rows, layout);
    }

    /// <summary>Where row <paramref name="row"/>, channel <paramref name="channel"/> lies: "item b, grid row y, column x, channel c".</summary>
    private static string Position(int row, int channel, int height, int width)
    {
        int cell = row % (height * width);
        return $"item {row / (height * width)}, grid row {cell / width}, column {cell % width}, channel {channel}";
    }
}
