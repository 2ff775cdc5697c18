// TracePictures: draws the pictures of a trace at the display size as PNG, writes them, and keeps the maps the HTML report embeds.
using NcutKernels.IO;
using NcutKernels.Spectral;
using SkiaSharp;

namespace NcutKernels.Cli;

/// <summary>The PNG pictures of one trace: per image its overlay, channel grid and eigenvectors, and per cluster its masks and top channels' maps.</summary>
internal sealed class TracePictures
{
    private TracePictures(IReadOnlyList<ImagePictures> images, IReadOnlyList<ClusterMaps> clusters)
    {
        Images = images;
        Clusters = clusters;
    }

    /// <summary>Per image, in the layout's order.</summary>
    public IReadOnlyList<ImagePictures> Images { get; }

    /// <summary>Per cluster of the trace, in <see cref="ChannelTrace.Clusters"/>' order.</summary>
    public IReadOnlyList<ClusterMaps> Clusters { get; }

    /// <summary>The three pictures written for one image.</summary>
    /// <param name="Segments">The segment overlay (<see cref="TraceImages.Overlay"/>).</param>
    /// <param name="Channels">The channel grid (<see cref="TraceImages.ChannelGrid"/>).</param>
    /// <param name="Eigenvectors">Eigenvectors 2–4 as RGB (<see cref="TraceImages.Eigenvectors"/>).</param>
    internal sealed record ImagePictures(byte[] Segments, byte[] Channels, byte[] Eigenvectors);

    /// <summary>One cluster's maps at one pixel per patch, the cells of the channel grid.</summary>
    /// <param name="Cluster">The cluster index.</param>
    /// <param name="Masks">Masks[image]: the cluster's <see cref="TraceImages.Mask"/>.</param>
    /// <param name="Channels">The cluster's top channels by importance, best first.</param>
    /// <param name="Maps">Maps[rank][image]: the <see cref="TraceImages.ChannelMap"/> of Channels[rank].</param>
    internal sealed record ClusterMaps(int Cluster, IReadOnlyList<byte[]> Masks, IReadOnlyList<int> Channels, IReadOnlyList<IReadOnlyList<byte[]>> Maps);

    /// <summary>
    /// Draws every picture of <paramref name="trace"/>: at most <paramref name="top"/> channels per cluster, every picture's
    /// longer side at most <paramref name="bound"/> pixels. A channel's map is scaled by its maximum over all images, so the
    /// maps of one channel compare across images.
    /// </summary>
    /// <param name="trace">The trace.</param>
    /// <param name="layout">The rows of <paramref name="features"/> by image.</param>
    /// <param name="features">The traced features, n × channels.</param>
    /// <param name="photos">The images, in the layout's order.</param>
    /// <param name="top">Channels shown per cluster.</param>
    /// <param name="bound">The display size (<see cref="PictureSize"/>).</param>
    public static TracePictures Draw(ChannelTrace trace, FeatureLayout layout, float[,] features, IReadOnlyList<SKBitmap> photos, int top, int bound)
    {
        int channels = features.GetLength(1);
        var channelMax = new float[channels];
        for (int i = 0; i < features.GetLength(0); i++)
            for (int c = 0; c < channels; c++)
                channelMax[c] = Math.Max(channelMax[c], features[i, c]);
        var clusters = trace.Clusters.Select(c => c.Cluster).ToArray();
        var topChannels = trace.Clusters.Select(c => c.BySigned.Take(top).ToArray()).ToArray();
        var masks = clusters.Select(_ => new byte[layout.Images][]).ToArray();
        var maps = topChannels.Select(row => row.Select(_ => new byte[layout.Images][]).ToArray()).ToArray();
        var images = new List<ImagePictures>();
        for (int m = 0; m < layout.Images; m++)
        {
            var labels = layout.Map(trace.Labels, m);
            var bitmaps = new List<SKBitmap>();
            try
            {
                var maskBitmaps = clusters.Select(c => Keep(bitmaps, TraceImages.Mask(labels, c))).ToList();
                var mapBitmaps = topChannels.Select((row, r) => (IReadOnlyList<(int Channel, SKBitmap Map)>)row.Select(c =>
                    (c, Keep(bitmaps, TraceImages.ChannelMap(labels, clusters[r], layout.Map(features, m, c), channelMax[c])))).ToList()).ToList();
                for (int r = 0; r < clusters.Length; r++)
                {
                    masks[r][m] = Png.Encode(maskBitmaps[r]);
                    for (int j = 0; j < topChannels[r].Length; j++)
                        maps[r][j][m] = Png.Encode(mapBitmaps[r][j].Map);
                }
                using var overlay = TraceImages.Overlay(photos[m], labels, bound);
                using var grid = TraceImages.ChannelGrid(clusters, maskBitmaps, mapBitmaps, bound);
                using var eigenvectors = TraceImages.Eigenvectors(trace.Eigenvectors, layout, m, bound);
                images.Add(new ImagePictures(Png.Encode(overlay), Png.Encode(grid), Png.Encode(eigenvectors)));
            }
            finally
            {
                foreach (var b in bitmaps)
                    b.Dispose();
            }
        }
        return new TracePictures(images, clusters.Select((c, r) => new ClusterMaps(c, masks[r], topChannels[r], maps[r])).ToList());
    }

    /// <summary>Writes each image's pictures as NAME-segments.png, NAME-channels.png and NAME-eigenvectors.png into the staged outputs.</summary>
    /// <param name="outDir">The output folder.</param>
    /// <param name="images">The image paths, for the file names (<see cref="TraceCommand.PictureName"/>).</param>
    /// <param name="outputs">The staged output set.</param>
    public void Write(string outDir, IReadOnlyList<string> images, StagedFiles outputs)
    {
        for (int m = 0; m < Images.Count; m++)
        {
            var p = Images[m];
            outputs.Write(Path.Combine(outDir, TraceCommand.PictureName(images, m, "segments")), f => f.Write(p.Segments));
            outputs.Write(Path.Combine(outDir, TraceCommand.PictureName(images, m, "channels")), f => f.Write(p.Channels));
            outputs.Write(Path.Combine(outDir, TraceCommand.PictureName(images, m, "eigenvectors")), f => f.Write(p.Eigenvectors));
        }
    }

    private static SKBitmap Keep(List<SKBitmap> owned, SKBitmap bitmap)
    {
        owned.Add(bitmap);
        return bitmap;
    }
}
