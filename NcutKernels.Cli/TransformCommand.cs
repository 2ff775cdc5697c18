// TransformCommand: `ncut transform` — a saved fit and a .npy shard in, the shard's embedding out (what `ncut embed` gives those rows on the fit's Nyström path).
using System.Numerics;
using NcutKernels.Runtime;
using NcutKernels.Spectral;

namespace NcutKernels.Cli;

internal static class TransformCommand
{
    /// <summary>The command: the fit, the shard, the output and the device.</summary>
    public static NcutCommand Create()
    {
        var fit = CliOption.Text("--fit", "FIT", "a fit saved by `ncut fit`", null);
        var input = CliOption.Text("--input", "SHARD.npy", "the rows to embed: n × d, the fit's d, float32, float64 or integer .npy", null);
        var output = CliOption.Text("--output", "U.npy", "the n × k embedding written", null);
        var device = GraphOptions.DeviceOption();
        var command = new NcutCommand("transform",
            "embeds any rows with a saved fit, in any process and on any device: the fit's own rows as `ncut embed` gives them on the Nyström path",
            ["ncut transform --fit FIT --input SHARD.npy --output U.npy [--device auto|cuda|cpu]"])
            { fit, input, output, device };
        command.SetAction((result, stdout, _) =>
            Run(result.GetValue(fit)!, result.GetValue(input)!, result.GetValue(output)!, result.GetValue(device), stdout));
        return command;
    }

    /// <summary>Embeds the rows of <paramref name="input"/> with the fit in <paramref name="fit"/>, writing the output only when all succeeds.</summary>
    private static int Run(string fit, string input, string output, DeviceKind kind, TextWriter stdout)
    {
        using var outputs = OutputPaths.Files([("--fit", fit), ("--input", input)], [("--output", output)]);
        using var device = ComputeDevice.Create(kind, stdout);
        using var embedding = NystromNcut.Load(device, fit, stdout);
        var x = FeatureMatrix.Read(input);
        if (x.Cols != embedding.Columns)
            throw new InvalidDataException($"{input}: {x.Cols} columns, but the fit {fit} was made on d = {embedding.Columns}.");
        bool wide = x.InFloat64(device.Kind, stdout);
        if (wide)
            Stage(embedding.Transform<double>(x.Doubles, x.Rows, x.Cols));
        else
            Stage(embedding.Transform<float>(x.ToSingles(), x.Rows, x.Cols));
        outputs.Commit();
        stdout.WriteLine($"ncut: wrote {outputs.Targets[0]} ({x.Rows} × {embedding.Options.EigenvectorCount}, {(wide ? "float64" : "float32")})");
        return ExitCode.Success;

        void Stage<T>(T[,] u) where T : unmanaged, IFloatingPointIeee754<T> => outputs.Write(output, s => EmbedCommand.WriteMatrix(s, u));
    }
}
