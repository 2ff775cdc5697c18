// EmbedCommand: `ncut embed` — .npy features in, top-k eigenvectors (and eigenvalues) out.
using System.Numerics;
using NcutKernels.IO;
using NcutKernels.Runtime;
using NcutKernels.Spectral;

namespace NcutKernels.Cli;

internal static class EmbedCommand
{
    private static readonly HashSet<string> Known = ["input", "n-eig", "output", "eigenvalues", "affinity", "sigma", "quantile", "device", "seed"];

    public static int Run(string[] args, TextWriter stdout)
    {
        var a = new CliArgs(args, Known);
        string input = a.Required("input"), output = a.Required("output");
        string? eigenvaluesPath = a.String("eigenvalues");
        var options = new NcutOptions
        {
            EigenvectorCount = a.Int("n-eig") ?? throw new UsageException("missing required option --n-eig"),
            Affinity = a.Enum<AffinityKind>("affinity") ?? AffinityKind.Rbf,
            Sigma = a.Double("sigma"),
            Quantile = a.Double("quantile"),
            Seed = a.Int("seed") ?? 0,
            Log = stdout,
        };
        var kind = ParseDevice(a.String("device"));
        var array = Npy.Read(input);
        if (array.Shape.Length != 2)
            throw new InvalidDataException($"{input}: features must be a 2-D array (n × d), got shape ({string.Join(", ", array.Shape)}).");
        using var device = ComputeDevice.Create(kind, stdout);
        var ncut = new Ncut(device, options);
        if (array.IsDouble && device.Kind == DeviceKind.Cpu)
            Npy.Write(output, ncut.FitTransform(array.ToMatrix<double>()));
        else
        {
            if (array.IsDouble)
                stdout.WriteLine($"ncut: float64 input computed in float32 on {device.Kind}; output is float32");
            Npy.Write(output, ncut.FitTransform(array.Singles is not null ? ToMatrix(array.Singles, array.Shape) : array.ToMatrix<float>()));
        }
        if (eigenvaluesPath is not null)
            Npy.Write(eigenvaluesPath, ncut.Eigenvalues);
        stdout.WriteLine($"ncut: wrote {output}{(eigenvaluesPath is null ? "" : " and " + eigenvaluesPath)}; eigenvalues {string.Join(" ", ncut.Eigenvalues.Take(5).Select(v => v.ToString("F6")))}{(ncut.Eigenvalues.Length > 5 ? " …" : "")}");
        return 0;
    }

    private static T[,] ToMatrix<T>(T[] data, int[] shape) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var m = new T[shape[0], shape[1]];
        Buffer.BlockCopy(data, 0, m, 0, data.Length * System.Runtime.CompilerServices.Unsafe.SizeOf<T>());
        return m;
    }

    /// <summary>auto | cuda | cpu (ilgpu-cpu for kernel debugging).</summary>
    internal static DeviceKind ParseDevice(string? text) => text?.ToLowerInvariant() switch
    {
        null or "auto" => DeviceKind.Auto,
        "cuda" => DeviceKind.Cuda,
        "cpu" => DeviceKind.Cpu,
        "ilgpu-cpu" => DeviceKind.IlgpuCpu,
        _ => throw new UsageException($"--device: '{text}' is not one of auto|cuda|cpu"),
    };
}
