// DemoCommand: `ncut demo` — `ncut trace` on the photos shipped in ReferenceData/images (cat, astronaut, coffee).
namespace NcutKernels.Cli;

internal static class DemoCommand
{
    /// <summary>The shipped photos, in stacking order (see ReferenceData/README.md for their sources).</summary>
    public static readonly string[] Photos = ["cat.jpg", "astronaut.jpg", "coffee.jpg"];

    /// <summary>The output folder when --out is not given.</summary>
    private const string DefaultOut = "ncut-demo";

    /// <summary>The command: the trace options, --image defaulting to <see cref="Photos"/> and --out to <see cref="DefaultOut"/>.</summary>
    public static NcutCommand Create()
    {
        var images = CliOption.Repeatable("--image", "A.jpg", "an image; repeat for several, one NCUT over all in order", "default the shipped photos");
        var outDir = CliOption.Text("--out", "DIR", "the output folder; its parent must exist", DefaultOut);
        var trace = new TraceOptions();
        var command = new NcutCommand("demo", "`ncut trace` on the photos shipped in ReferenceData/images (cat, astronaut, coffee)",
            ["ncut demo [--out DIR] [trace options]"]) { images, outDir };
        trace.AddTo(command);
        command.SetAction((result, stdout, stderr) =>
        {
            IReadOnlyList<string> given = result.GetValue(images) ?? [];
            var paths = given.Count > 0 ? given : Photos.Select(p => Path.Combine(AppContext.BaseDirectory, "ReferenceData", "images", p)).ToArray();
            var settings = trace.Settings(result, paths, result.GetValue(outDir) ?? DefaultOut, source: null);
            stdout.WriteLine($"demo: channel tracing on {string.Join(", ", paths.Select(Path.GetFileName))} → {settings.OutDir}");
            return TraceCommand.Run(settings, stdout, stderr);
        });
        return command;
    }
}
