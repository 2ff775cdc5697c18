// TraceImages: the pictures of `ncut trace` — a labelled segmentation overlay per image, the channel maps, and the labelled grid of the top channels per cluster.
using SkiaSharp;

namespace NcutKernels.Cli;

internal static class TraceImages
{
    /// <summary>Pixels per patch in the channel grid's cells and the eigenvector picture, when the display size allows.</summary>
    public const int CellScale = 8;

    /// <summary>Gap between cells, in pixels.</summary>
    public const int Gap = 4;

    /// <summary>Size of the label font, in pixels.</summary>
    public const float LabelSize = 12;

    private static readonly SKColor Background = new(40, 40, 40);
    private static readonly SKColor LabelColour = new(225, 225, 225);

    /// <summary>
    /// The photo scaled down to the display size, each patch blended 45 % toward its cluster's colour, cluster borders drawn
    /// in that colour, and each cluster's number drawn once, on its patch farthest from any other cluster.
    /// </summary>
    /// <param name="photo">The image the features came from (any size; the patch grid is stretched over it).</param>
    /// <param name="labels">Cluster of each patch, h×w.</param>
    /// <param name="bound">The longest side of the picture, in pixels (<see cref="PictureSize"/>); smaller photos keep their size.</param>
    public static SKBitmap Overlay(SKBitmap photo, int[,] labels, int bound)
    {
        var (width, height) = PictureSize.Fit(photo.Width, photo.Height, bound);
        using var scaled = width == photo.Width && height == photo.Height ? null
            : photo.Resize(new SKImageInfo(width, height, SKColorType.Bgra8888, SKAlphaType.Premul), new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear))
              ?? throw new IOException($"could not scale a {photo.Width}×{photo.Height} image to {width}×{height}");
        var src = (scaled ?? photo).Pixels;
        int gh = labels.GetLength(0), gw = labels.GetLength(1);
        var dst = new SKColor[src.Length];
        int Label(int x, int y) => labels[Math.Min(gh - 1, y * gh / height), Math.Min(gw - 1, x * gw / width)];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                int l = Label(x, y);
                var c = Png.Colour(l);
                bool border = (x + 1 < width && Label(x + 1, y) != l) || (y + 1 < height && Label(x, y + 1) != l);
                var p = src[y * width + x];
                dst[y * width + x] = border ? c : new SKColor(Blend(p.Red, c.Red), Blend(p.Green, c.Green), Blend(p.Blue, c.Blue));
            }
        var overlay = FromPixels(width, height, dst);
        using var canvas = new SKCanvas(overlay);
        float size = Math.Clamp(Math.Min(width, height) / 24f, 9, 16);
        using var font = new SKFont(LabelFont.Typeface, size);
        using var fill = new SKPaint { IsAntialias = true };
        using var text = new SKPaint { IsAntialias = true, Color = SKColors.Black };
        foreach (var (cluster, (py, px)) in SegmentCentres(labels))
        {
            float cx = (px + 0.5f) * width / gw, cy = (py + 0.5f) * height / gh, r = size * 0.85f;
            fill.Color = SKColors.Black;
            canvas.DrawCircle(cx, cy, r + 1, fill);
            fill.Color = Png.Colour(cluster);
            canvas.DrawCircle(cx, cy, r, fill);
            canvas.DrawText(cluster.ToString(System.Globalization.CultureInfo.InvariantCulture), cx, cy + size * 0.36f, SKTextAlign.Center, font, text);
        }
        return overlay;
    }

    /// <summary>One pixel per patch: <paramref name="cluster"/>'s patches in its colour, the rest black.</summary>
    /// <param name="labels">Cluster of each patch of one image, h×w.</param>
    /// <param name="cluster">The cluster shown.</param>
    public static SKBitmap Mask(int[,] labels, int cluster)
    {
        int gh = labels.GetLength(0), gw = labels.GetLength(1);
        var colour = Png.Colour(cluster);
        var px = new SKColor[gh * gw];
        for (int y = 0; y < gh; y++)
            for (int x = 0; x < gw; x++)
                px[y * gw + x] = labels[y, x] == cluster ? colour : SKColors.Black;
        return FromPixels(gw, gh, px);
    }

    /// <summary>
    /// One pixel per patch: a channel's feature map scaled by <paramref name="scale"/> (0 = black, <paramref name="scale"/> =
    /// pale yellow, an "inferno"-like ramp), patches outside <paramref name="cluster"/> dimmed to a third so that one sees
    /// whether the channel lights up inside it. The cells of <see cref="ChannelGrid"/> and the report's maps.
    /// </summary>
    /// <param name="labels">Cluster of each patch of one image, h×w.</param>
    /// <param name="cluster">The cluster whose patches are drawn at full brightness.</param>
    /// <param name="map">The channel's h×w feature map on that image.</param>
    /// <param name="scale">The value drawn as full brightness (a non-positive value counts as 1).</param>
    public static SKBitmap ChannelMap(int[,] labels, int cluster, float[,] map, float scale)
    {
        int gh = labels.GetLength(0), gw = labels.GetLength(1);
        if (scale <= 0)
            scale = 1;
        var px = new SKColor[gh * gw];
        for (int y = 0; y < gh; y++)
            for (int x = 0; x < gw; x++)
            {
                var v = Ramp(Math.Clamp(map[y, x] / scale, 0, 1));
                px[y * gw + x] = labels[y, x] == cluster ? v : new SKColor((byte)(v.Red / 3), (byte)(v.Green / 3), (byte)(v.Blue / 3));
            }
        return FromPixels(gw, gh, px);
    }

    /// <summary>
    /// Rows = clusters, columns = the cluster's <see cref="Mask"/>, then its top channels' <see cref="ChannelMap"/>s for one
    /// image, each cell under a label ("cluster 2", "ch 117"; "c2", "117" where those do not fit) when the cells are wide
    /// enough; scaled (nearest neighbour) so that the longer side is at most <paramref name="bound"/> (<see cref="ChannelGridLayout"/>).
    /// </summary>
    /// <param name="clusters">Cluster indices, one row each.</param>
    /// <param name="masks">masks[row]: the row's <see cref="Mask"/> (all the same size).</param>
    /// <param name="maps">maps[row][col]: the channel index and <see cref="ChannelMap"/> of that cluster's col-th channel.</param>
    /// <param name="bound">The longest side of the picture, in pixels.</param>
    public static SKBitmap ChannelGrid(IReadOnlyList<int> clusters, IReadOnlyList<SKBitmap> masks, IReadOnlyList<IReadOnlyList<(int Channel, SKBitmap Map)>> maps, int bound)
    {
        int columns = 1 + maps.Max(r => r.Count);
        var g = ChannelGridLayout.For(masks[0].Width, masks[0].Height, columns, clusters.Count, bound);
        var bitmap = new SKBitmap(g.Width, g.Height, SKColorType.Bgra8888, SKAlphaType.Premul);
        using var canvas = new SKCanvas(bitmap);
        canvas.Clear(Background);
        using var font = new SKFont(LabelFont.Typeface, LabelSize);
        using var paint = new SKPaint { IsAntialias = true };
        var nearest = new SKSamplingOptions(SKFilterMode.Nearest);
        // One form per column kind, so the labels of a picture read alike: the long one when every such label fits.
        float labelWidth = g.LabelArea(0, 0).Width;
        bool longClusters = clusters.All(c => font.MeasureText($"cluster {c}") <= labelWidth);
        bool longChannels = maps.All(row => row.All(m => font.MeasureText($"ch {m.Channel}") <= labelWidth));
        for (int r = 0; r < clusters.Count; r++)
            for (int c = 0; c < 1 + maps[r].Count; c++)
            {
                using (var image = SKImage.FromBitmap(c == 0 ? masks[r] : maps[r][c - 1].Map))
                    canvas.DrawImage(image, g.Cell(r, c), nearest);
                if (g.Band == 0)
                    continue;
                var area = g.LabelArea(r, c);
                string label = c == 0 ? (longClusters ? $"cluster {clusters[r]}" : $"c{clusters[r]}")
                    : (longChannels ? $"ch {maps[r][c - 1].Channel}" : $"{maps[r][c - 1].Channel}");
                if (font.MeasureText(label) > area.Width)
                    continue;
                paint.Color = c == 0 ? Png.Colour(clusters[r]) : LabelColour;
                canvas.DrawText(label, area.Left, area.Bottom - 4, SKTextAlign.Left, font, paint);
            }
        return bitmap;
    }

    /// <summary>
    /// Eigenvectors 2, 3, 4 of image <paramref name="image"/>'s patches as R, G, B (the first is ∝ √degree), each scaled
    /// by its minimum and maximum over all images so that colours compare across images; <see cref="CellScale"/> px per
    /// patch, or fewer so that the longer side is at most <paramref name="bound"/>.
    /// </summary>
    public static SKBitmap Eigenvectors(double[,] u, Spectral.FeatureLayout layout, int image, int bound)
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
        var px = new SKColor[w * h];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int row = offset + y * w + x;
                px[y * w + x] = new SKColor(Level(row, 0), Level(row, 1), Level(row, 2));
            }
        using var patches = FromPixels(w, h, px);
        double s = PictureSize.PatchScale(w, h, CellScale, bound);
        var info = new SKImageInfo(Math.Max(1, (int)(w * s + 1e-9)), Math.Max(1, (int)(h * s + 1e-9)), SKColorType.Bgra8888, SKAlphaType.Premul);
        return patches.Resize(info, new SKSamplingOptions(SKFilterMode.Nearest))
            ?? throw new IOException($"could not scale a {w}×{h} image to {info.Width}×{info.Height}");
    }

    /// <summary>
    /// Per cluster present in <paramref name="labels"/>, the patch (y, x) farthest (in steps between 4-neighbours) from
    /// the grid's edge and from every other cluster; ties go to the first in row-major order.
    /// </summary>
    public static IReadOnlyList<(int Cluster, (int Y, int X) Patch)> SegmentCentres(int[,] labels)
    {
        int gh = labels.GetLength(0), gw = labels.GetLength(1);
        var d = new int[gh, gw];
        bool Boundary(int y, int x) => y == 0 || x == 0 || y == gh - 1 || x == gw - 1
            || labels[y - 1, x] != labels[y, x] || labels[y + 1, x] != labels[y, x] || labels[y, x - 1] != labels[y, x] || labels[y, x + 1] != labels[y, x];
        for (int y = 0; y < gh; y++)
            for (int x = 0; x < gw; x++)
            {
                d[y, x] = Boundary(y, x) ? 1 : int.MaxValue / 2;
                if (y > 0)
                    d[y, x] = Math.Min(d[y, x], d[y - 1, x] + 1);
                if (x > 0)
                    d[y, x] = Math.Min(d[y, x], d[y, x - 1] + 1);
            }
        for (int y = gh - 1; y >= 0; y--)
            for (int x = gw - 1; x >= 0; x--)
            {
                if (y < gh - 1)
                    d[y, x] = Math.Min(d[y, x], d[y + 1, x] + 1);
                if (x < gw - 1)
                    d[y, x] = Math.Min(d[y, x], d[y, x + 1] + 1);
            }
        var best = new SortedDictionary<int, (int Y, int X)>();
        for (int y = 0; y < gh; y++)
            for (int x = 0; x < gw; x++)
                if (!best.TryGetValue(labels[y, x], out var b) || d[y, x] > d[b.Y, b.X])
                    best[labels[y, x]] = (y, x);
        return best.Select(kv => (kv.Key, kv.Value)).ToList();
    }

    private static SKBitmap FromPixels(int width, int height, SKColor[] pixels) =>
        new(width, height, SKColorType.Bgra8888, SKAlphaType.Premul) { Pixels = pixels };

    private static byte Blend(byte photo, byte colour) => (byte)((photo * 55 + colour * 45) / 100);

    /// <summary>The colour ramp of the channel maps: black → purple → orange → pale yellow at t = 0, 0.35, 0.7, 1.</summary>
    public static IReadOnlyList<(double T, SKColor Colour)> RampStops { get; } =
        [(0, new SKColor(0, 0, 4)), (0.35, new SKColor(120, 28, 109)), (0.7, new SKColor(237, 105, 37)), (1, new SKColor(252, 255, 164))];

    /// <summary>The ramp's colour at t in [0, 1], linear between <see cref="RampStops"/>.</summary>
    private static SKColor Ramp(double t)
    {
        for (int i = 1; i < RampStops.Count; i++)
            if (t <= RampStops[i].T)
            {
                var (t0, c0) = RampStops[i - 1];
                var (t1, c1) = RampStops[i];
                double f = (t - t0) / (t1 - t0);
                return new SKColor((byte)(c0.Red + f * (c1.Red - c0.Red)), (byte)(c0.Green + f * (c1.Green - c0.Green)), (byte)(c0.Blue + f * (c1.Blue - c0.Blue)));
            }
        return RampStops[^1].Colour;
    }
}
