// TransformCommand: `ncut transform` — a saved fit and a .npy shard in, the shard's embedding out (what `ncut embed` gives those rows on the fit's Nyström path).
using NcutKernels.IO;
using NcutKernels.Runtime;
using NcutKernels.Spectral;

namespace NcutKernels.Cli;

internal static class TransformCommand
{
    private static readonly HashSet<string> Known = ["fit", "input", "output", "device"];

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var a = new CliArgs(args, Known);
        string fit = a.Required("fit"), input = a.Required("input"), output = a.Required("output");
        var kind = EmbedCommand.ParseDevice(a.String("device"));

        using var outputs = OutputPaths.Files([("--fit", fit), ("--input", input)], [("--output", output)]);
        using var device = ComputeDevice.Create(kind, stdout);
        using var embedding = NystromNcut.Load(device, fit, stdout);
        var x = FeatureMatrix.Read(input);
        if (x.Cols != embedding.Columns)
            throw new InvalidDataException($"{input}: {x.Cols} columns, but the fit {fit} was made on d = {embedding.Columns}.");
        bool wide = EmbedCommand.KeepsFloat64(x.Array.IsDouble, device.Kind);
        if (wide)
        {
            var u = embedding.Transform<double>(x.Doubles, x.Rows, x.Cols);
            outputs.Write(output, s => Npy.Write(s, u));
        }
        else
        {
            if (x.Array.IsDouble)
                stdout.WriteLine($"ncut: float64 input computed in float32 on {device.Kind}; outputs are float32");
            var u = embedding.Transform<float>(x.ToSingles(), x.Rows, x.Cols);
            outputs.Write(output, s => Npy.Write(s, u));
        }
        outputs.Commit();
        stdout.WriteLine($"ncut: wrote {outputs.Targets[0]} ({x.Rows} × {embedding.Options.EigenvectorCount}, {(wide ? "float64" : "float32")})");
        return ExitCode.Success;
    }
}
