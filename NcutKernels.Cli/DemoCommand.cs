// DemoCommand: `ncut demo` — `ncut trace` on the photos shipped in ReferenceData/images (cat, astronaut, coffee).
namespace NcutKernels.Cli;

internal static class DemoCommand
{
    /// <summary>The shipped photos, in stacking order (see ReferenceData/README.md for their sources).</summary>
    public static readonly string[] Photos = ["cat.jpg", "astronaut.jpg", "coffee.jpg"];

    private static readonly HashSet<string> Known = ["image", "out", "clusters", "n-eig", "top", "tiles", "layer", "model", "device", "kway", "seed", "affinity", "sigma", "quantile", PictureSize.Option];

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var a = new CliArgs(args, Known, repeatable: new HashSet<string> { "image" }, flags: EmbedCommand.Flags);
        var images = a.Strings("image");
        if (images.Count == 0)
            images = Photos.Select(p => Path.Combine(AppContext.BaseDirectory, "ReferenceData", "images", p)).ToArray();
        var settings = TraceCommand.Parse(a, images, a.String("out") ?? "ncut-demo");
        stdout.WriteLine($"demo: channel tracing on {string.Join(", ", images.Select(Path.GetFileName))} → {settings.OutDir}");
        return TraceCommand.Run(settings, stdout, stderr);
    }
}
