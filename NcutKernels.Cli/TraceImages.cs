// TraceImages: the pictures of `ncut trace` — a segmentation overlay per image and a grid of the top channels' feature maps per cluster.
using SkiaSharp;

namespace NcutKernels.Cli;

internal static class TraceImages
{
    /// <summary>Pixels per patch in the channel grid's cells.</summary>
    public const int CellScale = 8;

    /// <summary>Gap between cells, in pixels.</summary>
    public const int Gap = 4;

    /// <summary>The photo with each patch blended 45 % toward its cluster's colour and cluster borders drawn in that colour.</summary>
    /// <param name="photo">The image the features came from (any size; the patch grid is stretched over it).</param>
    /// <param name="labels">Cluster of each patch, h×w.</param>
    public static SKBitmap Overlay(SKBitmap photo, int[,] labels)
    {
        int gh = labels.GetLength(0), gw = labels.GetLength(1);
        var src = photo.Pixels;
        var dst = new SKColor[src.Length];
        int Label(int x, int y) => labels[Math.Min(gh - 1, y * gh / photo.Height), Math.Min(gw - 1, x * gw / photo.Width)];
        for (int y = 0; y < photo.Height; y++)
            for (int x = 0; x < photo.Width; x++)
            {
                int l = Label(x, y);
                var c = Png.Colour(l);
                bool border = (x + 1 < photo.Width && Label(x + 1, y) != l) || (y + 1 < photo.Height && Label(x, y + 1) != l);
                var p = src[y * photo.Width + x];
                dst[y * photo.Width + x] = border ? c : new SKColor(Blend(p.Red, c.Red), Blend(p.Green, c.Green), Blend(p.Blue, c.Blue));
            }
        return FromPixels(photo.Width, photo.Height, dst);
    }

    /// <summary>
    /// Rows = clusters, columns = a swatch of the cluster's mask, then its top channels' maps for one image. Each
    /// map is scaled by that channel's maximum over all images (0 = black, max = white, "inferno"-like ramp), and
    /// patches outside the cluster are dimmed so that one sees whether the channel lights up inside it.
    /// </summary>
    /// <param name="labels">Cluster of each patch of this image, h×w.</param>
    /// <param name="clusters">Cluster indices, one row each.</param>
    /// <param name="maps">maps[row][col]: the h×w feature map of that cluster's col-th channel.</param>
    /// <param name="scales">scales[row][col]: the value drawn as full brightness (&gt; 0).</param>
    public static SKBitmap ChannelGrid(int[,] labels, IReadOnlyList<int> clusters, IReadOnlyList<IReadOnlyList<float[,]>> maps,
        IReadOnlyList<IReadOnlyList<float>> scales)
    {
        int gh = labels.GetLength(0), gw = labels.GetLength(1);
        int cellW = gw * CellScale, cellH = gh * CellScale;
        int cols = 1 + maps.Max(r => r.Count);
        int width = cols * (cellW + Gap) + Gap, height = clusters.Count * (cellH + Gap) + Gap;
        var px = new SKColor[width * height];
        Array.Fill(px, new SKColor(40, 40, 40));
        for (int r = 0; r < clusters.Count; r++)
        {
            int top = Gap + r * (cellH + Gap);
            var colour = Png.Colour(clusters[r]);
            for (int y = 0; y < cellH; y++)
                for (int x = 0; x < cellW; x++)
                    px[(top + y) * width + Gap + x] = labels[y / CellScale, x / CellScale] == clusters[r] ? colour : SKColors.Black;
            for (int c = 0; c < maps[r].Count; c++)
            {
                int left = Gap + (c + 1) * (cellW + Gap);
                var map = maps[r][c];
                float scale = scales[r][c] > 0 ? scales[r][c] : 1;
                for (int y = 0; y < cellH; y++)
                    for (int x = 0; x < cellW; x++)
                    {
                        int py = y / CellScale, qx = x / CellScale;
                        double t = Math.Clamp(map[py, qx] / scale, 0, 1);
                        var v = Ramp(t);
                        if (labels[py, qx] != clusters[r])
                            v = new SKColor((byte)(v.Red / 3), (byte)(v.Green / 3), (byte)(v.Blue / 3));
                        px[(top + y) * width + left + x] = v;
                    }
            }
        }
        return FromPixels(width, height, px);
    }

    /// <summary>
    /// Eigenvectors 2, 3, 4 of image <paramref name="image"/>'s patches as R, G, B (the first is ∝ √degree), each scaled
    /// by its minimum and maximum over all images so that colours compare across images; <see cref="CellScale"/> px per patch.
    /// </summary>
    public static SKBitmap Eigenvectors(double[,] u, Spectral.FeatureLayout layout, int image)
    {
        int k = u.GetLength(1), h = layout.Height(image), w = layout.Width(image), offset = layout.Offset(image);
        var lo = new double[3];
        var hi = new double[3];
        for (int c = 0; c < 3; c++)
        {
            int col = Math.Min(c + 1, k - 1);
            lo[c] = double.PositiveInfinity;
            hi[c] = double.NegativeInfinity;
            for (int i = 0; i < u.GetLength(0); i++)
            {
                lo[c] = Math.Min(lo[c], u[i, col]);
                hi[c] = Math.Max(hi[c], u[i, col]);
            }
        }
        byte Level(int row, int c)
        {
            double v = u[row, Math.Min(c + 1, k - 1)];
            return (byte)(hi[c] > lo[c] ? 255 * (v - lo[c]) / (hi[c] - lo[c]) : 128);
        }
        var px = new SKColor[w * CellScale * h * CellScale];
        for (int y = 0; y < h * CellScale; y++)
            for (int x = 0; x < w * CellScale; x++)
            {
                int row = offset + (y / CellScale) * w + x / CellScale;
                px[y * w * CellScale + x] = new SKColor(Level(row, 0), Level(row, 1), Level(row, 2));
            }
        return FromPixels(w * CellScale, h * CellScale, px);
    }

    private static SKBitmap FromPixels(int width, int height, SKColor[] pixels) =>
        new(width, height, SKColorType.Bgra8888, SKAlphaType.Premul) { Pixels = pixels };

    private static byte Blend(byte photo, byte colour) => (byte)((photo * 55 + colour * 45) / 100);

    /// <summary>Black → purple → orange → pale yellow, t in [0, 1].</summary>
    private static SKColor Ramp(double t)
    {
        ReadOnlySpan<(double T, byte R, byte G, byte B)> stops = [(0, 0, 0, 4), (0.35, 120, 28, 109), (0.7, 237, 105, 37), (1, 252, 255, 164)];
        for (int i = 1; i < stops.Length; i++)
            if (t <= stops[i].T)
            {
                var (t0, r0, g0, b0) = stops[i - 1];
                var (t1, r1, g1, b1) = stops[i];
                double f = (t - t0) / (t1 - t0);
                return new SKColor((byte)(r0 + f * (r1 - r0)), (byte)(g0 + f * (g1 - g0)), (byte)(b0 + f * (b1 - b0)));
            }
        return new SKColor(stops[^1].R, stops[^1].G, stops[^1].B);
    }
}
