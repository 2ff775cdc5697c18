// DemoCommand: `ncut demo` — segments the shipped photo by NCUT on per-pixel (colour, position) features and writes PNGs.
using System.Diagnostics;
using NcutKernels.Runtime;
using NcutKernels.Spectral;
using SkiaSharp;

namespace NcutKernels.Cli;

internal static class DemoCommand
{
    private static readonly HashSet<string> Known = ["out", "size", "clusters", "n-eig", "device", "image"];

    /// <summary>Weight of the (x, y) position features relative to the RGB ones (all scaled to [0, 1]).</summary>
    public const float PositionWeight = 0.5f;

    public static int Run(string[] args, TextWriter stdout)
    {
        var a = new CliArgs(args, Known);
        string outDir = Path.GetFullPath(a.String("out") ?? "ncut-demo");
        int size = a.Int("size") ?? 80, clusters = a.Int("clusters") ?? 6, k = a.Int("n-eig") ?? 8;
        string image = a.String("image") ?? Path.Combine(AppContext.BaseDirectory, "ReferenceData", "demo.jpg");
        if (size is < 8 or > 512)
            throw new UsageException($"--size: {size} is outside 8..512 pixels");
        if (clusters < 2 || clusters > k + 1)
            throw new UsageException($"--clusters: {clusters} must be in 2..n-eig+1 ({k + 1})");
        var total = Stopwatch.StartNew();
        using var device = ComputeDevice.Create(EmbedCommand.ParseDevice(a.String("device")), stdout);

        using var original = SKBitmap.Decode(image) ?? throw new InvalidDataException($"{image}: not a readable image");
        double scale = (double)size / Math.Max(original.Width, original.Height);
        int w = Math.Max(2, (int)Math.Round(original.Width * scale)), h = Math.Max(2, (int)Math.Round(original.Height * scale));
        using var small = original.Resize(new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Premul), new SKSamplingOptions(SKCubicResampler.Mitchell))
            ?? throw new InvalidDataException($"{image}: could not resize to {w}×{h}");
        stdout.WriteLine($"demo: {Path.GetFileName(image)} {original.Width}×{original.Height} → {w}×{h} = {w * h} pixels, features (r, g, b, {PositionWeight}·x, {PositionWeight}·y)");

        var features = PixelFeatures(small);
        var ncut = new Ncut(device, new NcutOptions { EigenvectorCount = k, Log = stdout });
        var u = ncut.FitTransform(features);
        var labels = SpectralClustering.KMeans(u, clusters, seed: 0);

        Directory.CreateDirectory(outDir);
        int upscale = Math.Max(1, 512 / Math.Max(w, h));
        string eigPath = Path.Combine(outDir, "eigenvectors.png"), clusterPath = Path.Combine(outDir, "clusters.png"), inputPath = Path.Combine(outDir, "input.png");
        Png.Save(small, inputPath, upscale);
        Png.Save(Png.EigenvectorColours(u, w, h), eigPath, upscale);
        Png.Save(Png.Overlay(small, labels), clusterPath, upscale);
        stdout.WriteLine($"demo: eigenvalues {string.Join(" ", ncut.Eigenvalues.Select(v => v.ToString("F4")))}");
        stdout.WriteLine($"demo: cluster sizes {string.Join(" ", labels.GroupBy(l => l).OrderBy(g => g.Key).Select(g => g.Count()))}");
        stdout.WriteLine($"demo: wrote {inputPath}, {eigPath} (eigenvectors 2–4 as RGB), {clusterPath} ({clusters} clusters)");
        stdout.WriteLine($"demo: total {total.Elapsed.TotalSeconds:F2} s on {device.Kind} ({device.Name})");
        return 0;
    }

    /// <summary>n×5 features: RGB in [0, 1] and position scaled to [0, PositionWeight] along the longer side.</summary>
    internal static float[,] PixelFeatures(SKBitmap bmp)
    {
        int w = bmp.Width, h = bmp.Height, longer = Math.Max(w, h);
        var f = new float[w * h, 5];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                var c = bmp.GetPixel(x, y);
                int i = y * w + x;
                f[i, 0] = c.Red / 255f;
                f[i, 1] = c.Green / 255f;
                f[i, 2] = c.Blue / 255f;
                f[i, 3] = PositionWeight * x / longer;
                f[i, 4] = PositionWeight * y / longer;
            }
        return f;
    }
}
