// FitCommand: `ncut fit` — .npy features in, a saved fit out (landmarks, eigenpairs, the prepared propagation) that `ncut transform` applies to any shard.
using NcutKernels.Runtime;
using NcutKernels.Spectral;

namespace NcutKernels.Cli;

internal static class FitCommand
{
    /// <summary>The command: the input, the fit file and the <see cref="EmbeddingOptions"/>.</summary>
    public static NcutCommand Create()
    {
        var input = CliOption.Text("--input", "X.npy", "the n × d features, float32, float64 or integer .npy", null);
        var fit = CliOption.Text("--fit", "FIT", "the saved fit written (a versioned binary file, docs/FIT-FORMAT.md)", null);
        var embedding = new EmbeddingOptions();
        var command = new NcutCommand("fit",
            "embeds .npy features as `ncut embed` does and saves the fit (landmarks, eigenpairs, the prepared propagation) for `ncut transform`",
            ["ncut fit --input X.npy --n-eig K --fit FIT [options]"])
            { input, fit };
        embedding.AddTo(command);
        command.SetAction((result, stdout, stderr) => Run(result.GetValue(input)!, result.GetValue(fit)!, embedding.Settings(result, stdout, stderr), stdout));
        return command;
    }

    /// <summary>Fits the features in <paramref name="input"/> and writes the fit to <paramref name="fit"/> only when all succeeds.</summary>
    private static int Run(string input, string fit, (NcutOptions Options, NystromOptions Nystrom, DeviceKind Device) settings, TextWriter stdout)
    {
        var (options, nystrom, kind) = settings;
        using var outputs = OutputPaths.Files([("--input", input)], [("--fit", fit)]);
        var x = FeatureMatrix.Read(input);
        x.RequireMoreRowsThan(options.EigenvectorCount);
        using var device = ComputeDevice.Create(kind, stdout);
        using var embedding = new NystromNcut(device, options, nystrom);
        bool wide = x.InFloat64(device.Kind, stdout, "the fit is float32");
        if (wide)
            embedding.Fit<double>(x.Doubles, x.Rows, x.Cols);
        else
            embedding.Fit<float>(x.ToSingles(), x.Rows, x.Cols);
        EmbedCommand.PrintPath(embedding, x.Rows, stdout);
        if (embedding.Path == EmbeddingPath.Exact)
            stdout.WriteLine(embedding.Propagation == NystromPropagation.Classic
                ? "ncut: exact fit: `ncut transform` extends its eigenvectors (classic Nyström), which gives the fit's own rows back to the eigen-solve's accuracy, not bit for bit as `ncut embed` does; fit with --path nystrom for that"
                : $"ncut: exact fit: `ncut transform` propagates its eigenvectors ({embedding.Propagation}), which smooths the fit's own rows instead of giving them back as `ncut embed` does; fit with --path nystrom for that");
        outputs.Write(fit, embedding.Save);
        outputs.Commit();
        stdout.WriteLine($"ncut: wrote {outputs.Targets[0]} ({embedding.Path} fit of {x.Rows} × {x.Cols}, {(wide ? "float64" : "float32")}, " +
            $"{embedding.LandmarkIndices.Length} landmarks, k = {options.EigenvectorCount}); embed any rows with `ncut transform --fit {fit} --input X.npy --output U.npy`");
        return ExitCode.Success;
    }
}
