// FitCommand: `ncut fit` — .npy features in, a saved fit out (landmarks, eigenpairs, the prepared propagation) that `ncut transform` applies to any shard.
using NcutKernels.Runtime;
using NcutKernels.Spectral;

namespace NcutKernels.Cli;

internal static class FitCommand
{
    private static readonly HashSet<string> Known = ["input", "fit", .. EmbedCommand.EmbeddingOptionNames];

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var a = new CliArgs(args, Known, flags: EmbedCommand.Flags);
        string input = a.Required("input"), fit = a.Required("fit");
        var (options, nystrom, kind) = EmbedCommand.EmbeddingSettings(a, stdout, stderr);

        using var outputs = OutputPaths.Files([("--input", input)], [("--fit", fit)]);
        var x = FeatureMatrix.Read(input);
        using var device = ComputeDevice.Create(kind, stdout);
        using var embedding = new NystromNcut(device, options, nystrom);
        bool wide = EmbedCommand.KeepsFloat64(x.Array.IsDouble, device.Kind);
        if (wide)
            embedding.Fit<double>(x.Doubles, x.Rows, x.Cols);
        else
        {
            if (x.Array.IsDouble)
                stdout.WriteLine($"ncut: float64 input computed in float32 on {device.Kind}; the fit is float32");
            embedding.Fit<float>(x.ToSingles(), x.Rows, x.Cols);
        }
        EmbedCommand.PrintPath(embedding, x.Rows, stdout);
        outputs.Write(fit, embedding.Save);
        outputs.Commit();
        stdout.WriteLine($"ncut: wrote {outputs.Targets[0]} ({embedding.Path} fit of {x.Rows} × {x.Cols}, {(wide ? "float64" : "float32")}, " +
            $"{embedding.LandmarkIndices.Length} landmarks, k = {options.EigenvectorCount}); embed any rows with `ncut transform --fit {fit} --input X.npy --output U.npy`");
        return ExitCode.Success;
    }
}
