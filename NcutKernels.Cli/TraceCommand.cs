// TraceCommand: `ncut trace` — patch features (ResNet-18, an ONNX model's output, or a .npy tensor) → k-way NCUT with gradients → channels per segment, as PNGs, CSV and JSON.
using System.Diagnostics;
using NcutKernels.Cli.Vision;
using NcutKernels.Core;
using NcutKernels.IO;
using NcutKernels.Runtime;
using NcutKernels.Spectral;
using SkiaSharp;

namespace NcutKernels.Cli;

internal static class TraceCommand
{
    /// <summary>The kinds of picture written per image, as file-name suffixes.</summary>
    private static readonly string[] PictureKinds = ["segments", "channels", "eigenvectors"];

    /// <summary>
    /// Cosine, not the library's RBF default: on ResNet's non-negative (post-ReLU) 256-channel features ncut_pytorch's
    /// degree rule picks σ ≈ 256, a nearly complete graph (λ2 ≈ 2e-4) whose segments are noisy; cosine affinity
    /// (σ = 0.5) gives λ2 ≈ 0.08 and segments that follow the objects (measured on the demo photos).
    /// </summary>
    internal const AffinityKind DefaultAffinity = AffinityKind.Cosine;

    /// <summary>
    /// Settings shared by `ncut trace` and `ncut demo`. <see cref="Images"/> names the items: the image paths, or for
    /// --features without images "item0", "item1", …; <see cref="Source"/> is null for the built-in ResNet-18.
    /// </summary>
    internal sealed record Settings(IReadOnlyList<string> Images, string OutDir, int Clusters, int EigenvectorCount, int Top, int? Tiles,
        ResNetLayer Layer, string? Model, DeviceKind Device, KwayMethod Kway, int Seed, AffinityKind Affinity, double? Sigma, double? Quantile, bool Strict, int DisplaySize,
        FeatureSource? Source = null)
    {
        /// <summary>Where the features came from, for trace.json's and report.html's "layer": the ResNet stage, the .npy file, or the ONNX model's output.</summary>
        public string FeatureOrigin => Source switch
        {
            NpySource npy => $"features {Path.GetFileName(npy.Path)}",
            OnnxSource onnx => $"{Path.GetFileName(onnx.Model)} output {onnx.Output}",
            _ => Layer.ToString(),
        };
    }

    /// <summary>
    /// The command: --image (repeatable) and --out, the <see cref="TraceOptions"/> and the <see cref="FeatureSourceOptions"/>;
    /// every option is read and checked before any work.
    /// </summary>
    public static NcutCommand Create()
    {
        var images = CliOption.Repeatable("--image", "A.jpg", "an image; repeat for several, one NCUT over all in order", "required but with --features");
        var outDir = CliOption.Text("--out", "DIR", "the output folder; its parent must exist", null);
        var trace = new TraceOptions();
        var sources = new FeatureSourceOptions();
        var command = new NcutCommand("trace",
            "patch features (ResNet-18, an ONNX model's output, or a .npy tensor) → k-way NCUT with gradients → the channels behind each segment, "
            + "as PNGs, channels.csv, trace.json and report.html",
            [
                "ncut trace --image A.jpg [--image B.jpg ...] --out DIR [options]",
                "ncut trace --features F.npy [--image A.jpg ...] --out DIR [options but --tiles, --layer, --model]",
                "ncut trace --onnx MODEL.onnx --onnx-output NAME --image A.jpg [--image B.jpg ...] --out DIR [options but --tiles, --layer, --model]",
            ],
            [
                $"images: up to {ImageFile.MaxSide} pixels a side and {ImageFile.MaxPixels / 1_000_000} megapixels; with --features, none or one per item in batch order.",
                "--input-size, --mean, --std, --channel-order, --pixel-range and --drop-tokens apply only with --onnx.",
            ]) { images, outDir };
        trace.AddTo(command);
        sources.AddTo(command);
        command.SetAction((result, stdout, stderr) =>
        {
            var source = sources.Source(result, trace);
            IReadOnlyList<string> paths = result.GetValue(images) ?? [];
            if (paths.Count == 0 && source is not NpySource)
                throw new MisuseException("missing required option --image (repeat it for several images), or --features F.npy");
            return Run(trace.Settings(result, paths, result.GetValue(outDir)!, source), stdout, stderr);
        });
        return command;
    }

    /// <summary>
    /// Runs the whole pipeline; returns the exit code. The output folder is checked first, every file is written into a
    /// temporary folder beside it, and the set is moved in at the end, so a failure leaves no partial set behind.
    /// A --features tensor is read and checked before that: it names the items when no images are given.
    /// </summary>
    internal static int Run(Settings s, TextWriter stdout, TextWriter stderr)
    {
        var total = Stopwatch.StartNew();
        var tensor = s.Source is NpySource npy ? FeatureTensor.Read(npy.Path, s.Images) : null;
        s = s with { Images = tensor?.Names ?? s.Images };
        using var outputs = OutputPaths.Folder("--out", s.OutDir, OutputNames(s.Images));
        using var device = ComputeDevice.Create(s.Device, stdout);

        var photos = new List<SKBitmap>();
        try
        {
            var input = TraceInputs.Load(s, tensor, device.Kind, photos, stdout);
            var layout = input.Layout;
            if (photos.Count == 0)
                photos.AddRange(Enumerable.Range(0, layout.Images).Select(m => GridCanvas(layout.Height(m), layout.Width(m))));
            var tracer = new ChannelTracer(device, new ChannelTracerOptions
            {
                Clusters = s.Clusters,
                Kway = s.Kway,
                Ncut = new NcutOptions
                {
                    EigenvectorCount = s.EigenvectorCount, Seed = s.Seed, Affinity = s.Affinity, Sigma = s.Sigma, Quantile = s.Quantile,
                    OnWarning = EmbedCommand.Warnings(stderr), Strict = s.Strict,
                },
                Log = stdout,
            });
            var trace = input.Trace(tracer);
            TraceReport.Write(trace, s, layout, outputs, stdout);
            var pictures = Stopwatch.StartNew();
            var drawn = TracePictures.Draw(trace, layout, input.Singles(), photos, s.Top, s.DisplaySize);
            drawn.Write(s.OutDir, s.Images, outputs);
            stdout.WriteLine($"trace: pictures in {pictures.Elapsed.TotalMilliseconds:F0} ms");
            var report = Stopwatch.StartNew();
            TraceHtml.Write(trace, s, layout, drawn, outputs);
            stdout.WriteLine($"trace: {TraceHtml.Name} in {report.Elapsed.TotalMilliseconds:F0} ms");
            outputs.Commit();
            stdout.WriteLine($"trace: wrote {string.Join(", ", outputs.Targets.Select(Path.GetFileName))} to {s.OutDir}");
        }
        finally
        {
            foreach (var p in photos)
                p.Dispose();
        }
        stdout.WriteLine($"trace: total {total.Elapsed.TotalSeconds:F2} s on {device.Kind} ({device.Name})");
        return ExitCode.Success;
    }

    /// <summary>Every file a trace of <paramref name="images"/> writes into its output folder.</summary>
    internal static IEnumerable<string> OutputNames(IReadOnlyList<string> images) =>
        Enumerable.Range(0, images.Count).SelectMany(m => PictureKinds.Select(kind => PictureName(images, m, kind)))
            .Concat([TraceReport.CsvName, TraceReport.JsonName, TraceHtml.Name]);

    /// <summary>The file name of picture <paramref name="kind"/> of image <paramref name="m"/>.</summary>
    internal static string PictureName(IReadOnlyList<string> images, int m, string kind) => $"{OutputName(images, m)}-{kind}.png";

    /// <summary>The file stem of image <paramref name="m"/>, prefixed by its index when two images share a stem.</summary>
    internal static string OutputName(IReadOnlyList<string> images, int m)
    {
        string stem = Path.GetFileNameWithoutExtension(images[m]);
        return images.Count(p => Path.GetFileNameWithoutExtension(p) == stem) > 1 ? $"{m}-{stem}" : stem;
    }

    /// <summary>
    /// The picture the segments of an item are drawn on when --features comes without images: a mid-grey
    /// <paramref name="height"/>×<paramref name="width"/> grid, each cell a square of <see cref="TraceImages.CellScale"/>
    /// pixels, or more so that the longer side reaches 256 pixels.
    /// </summary>
    private static SKBitmap GridCanvas(int height, int width)
    {
        int longer = Math.Max(height, width), scale = Math.Max(TraceImages.CellScale, (256 + longer - 1) / longer);
        var canvas = new SKBitmap(width * scale, height * scale, SKColorType.Bgra8888, SKAlphaType.Premul);
        canvas.Erase(new SKColor(128, 128, 128));
        return canvas;
    }
}
