// TraceInputs: the features `ncut trace` traces — from the built-in ResNet-18, a --features tensor or an --onnx model's output — with their layout, and the photos under them.
using System.Diagnostics;
using NcutKernels.Cli.Vision;
using NcutKernels.Runtime;
using NcutKernels.Spectral;
using SkiaSharp;

namespace NcutKernels.Cli;

internal static class TraceInputs
{
    /// <summary>
    /// The features of <paramref name="s"/>'s source: ResNet-18 or <see cref="OnnxSource"/> patch features of every image,
    /// or the rows of <paramref name="tensor"/> (read by <see cref="FeatureTensor.Read"/>; float64 kept only where
    /// <see cref="EmbedCommand.KeepsFloat64"/> says). Each decoded image is added to <paramref name="photos"/>, which the
    /// caller disposes; progress goes to <paramref name="stdout"/>.
    /// </summary>
    /// <exception cref="UsageException">--n-eig is not below the number of feature rows, or an --onnx option does not fit the model.</exception>
    /// <exception cref="InvalidDataException">An image, model or tensor that cannot be used (the message names it).</exception>
    public static TraceFeatures Load(TraceCommand.Settings s, FeatureTensor? tensor, DeviceKind device, List<SKBitmap> photos, TextWriter stdout)
    {
        var features = s.Source switch
        {
            NpySource => FromTensor(tensor ?? throw new ArgumentNullException(nameof(tensor), "--features needs its tensor read first"), device, photos, stdout),
            OnnxSource onnx => FromOnnx(onnx, s.Images, photos, stdout),
            _ => FromResNet(s, photos, stdout),
        };
        if (features.Layout.Rows <= s.EigenvectorCount)
            throw new UsageException($"--n-eig: {s.EigenvectorCount} eigenvectors need more feature rows than that; the features have {features.Layout.Rows}");
        return features;
    }

    private static TraceFeatures FromResNet(TraceCommand.Settings s, List<SKBitmap> photos, TextWriter stdout)
    {
        var maps = new List<FeatureMap>();
        var load = Stopwatch.StartNew();
        using var resnet = ResNetFeatures.Load(s.Model, s.Layer);
        stdout.WriteLine($"trace: ResNet-18 loaded ({s.Layer}, {resnet.Channels} channels) in {load.Elapsed.TotalMilliseconds:F0} ms");
        foreach (var path in s.Images)
        {
            var sw = Stopwatch.StartNew();
            var photo = ImageFile.Decode(path);
            photos.Add(photo);
            var map = resnet.Extract(photo, s.Tiles);
            maps.Add(map);
            stdout.WriteLine($"trace: features {Path.GetFileName(path)} {photo.Width}×{photo.Height} → {map.Height}×{map.Width} patches × {map.Channels} channels ({s.Layer}) in {sw.Elapsed.TotalMilliseconds:F0} ms");
        }
        return Stack(maps);
    }

    private static TraceFeatures FromOnnx(OnnxSource source, IReadOnlyList<string> images, List<SKBitmap> photos, TextWriter stdout)
    {
        var maps = new List<FeatureMap>();
        var load = Stopwatch.StartNew();
        using var model = OnnxFeatures.Load(source.Model, source.Output, source.Preprocessing, source.DropTokens);
        stdout.WriteLine($"trace: ONNX model {Path.GetFileName(source.Model)} loaded (input '{model.InputName}' 1×3×{model.InputHeight}×{model.InputWidth}, "
            + $"{source.Preprocessing.Order.ToString().ToUpperInvariant()}, pixels in [0, {source.Preprocessing.PixelRange}]; output '{model.OutputName}') in {load.Elapsed.TotalMilliseconds:F0} ms");
        foreach (var path in images)
        {
            var sw = Stopwatch.StartNew();
            var photo = ImageFile.Decode(path);
            photos.Add(photo);
            var (map, grid) = model.Extract(photo);
            if (grid.IsTokens && maps.Count == 0)
                stdout.WriteLine($"trace: {grid.TokenLine}");
            maps.Add(map);
            stdout.WriteLine($"trace: features {Path.GetFileName(path)} {photo.Width}×{photo.Height} → {map.Height}×{map.Width} patches × {map.Channels} channels ('{model.OutputName}') in {sw.Elapsed.TotalMilliseconds:F0} ms");
        }
        return Stack(maps);
    }

    private static TraceFeatures FromTensor(FeatureTensor tensor, DeviceKind device, List<SKBitmap> photos, TextWriter stdout)
    {
        foreach (var path in tensor.Images)
            photos.Add(ImageFile.Decode(path));
        var a = tensor.Array;
        bool keep = EmbedCommand.KeepsFloat64(a.IsDouble, device);
        stdout.WriteLine($"trace: features {Path.GetFileName(tensor.Path)}: {a.Shape[0]} items × {a.Shape[1]}×{a.Shape[2]} grid × {a.Shape[3]} channels, "
            + $"{(a.IsDouble ? "float64" : "float32")}{(tensor.Images.Count == 0 ? ", no images" : "")}");
        if (a.IsDouble && !keep)
            stdout.WriteLine($"trace: float64 features computed in float32 on {device}");
        try
        {
            if (keep)
            {
                var (rows, layout) = GridFeatures.FromTensor<double, double>(a.Doubles!, a.Shape);
                return new TraceFeatures(rows, layout);
            }
            var (singles, grids) = a.IsDouble ? GridFeatures.FromTensor<double, float>(a.Doubles!, a.Shape) : GridFeatures.FromTensor<float, float>(a.Singles!, a.Shape);
            return new TraceFeatures(singles, grids);
        }
        catch (ArgumentException e) when (e.ParamName == "tensor")
        {
            throw new InvalidDataException($"--features {tensor.Path}: {e.Message}", e);
        }
    }

    /// <summary>The maps' rows stacked in order, one grid per image.</summary>
    /// <exception cref="InvalidDataException">The maps have different channel counts.</exception>
    private static TraceFeatures Stack(IReadOnlyList<FeatureMap> maps)
    {
        var layout = new FeatureLayout(maps.Select(m => (m.Height, m.Width)).ToList());
        int channels = maps[0].Channels;
        var x = new float[layout.Rows, channels];
        for (int m = 0; m < maps.Count; m++)
        {
            if (maps[m].Channels != channels)
                throw new InvalidDataException($"image {m} has {maps[m].Channels} channels, image 0 {channels}");
            int offset = layout.Offset(m);
            for (int i = 0; i < maps[m].Height * maps[m].Width; i++)
                for (int c = 0; c < channels; c++)
                    x[offset + i, c] = maps[m].Features[i, c];
        }
        return new TraceFeatures(x, layout);
    }
}
