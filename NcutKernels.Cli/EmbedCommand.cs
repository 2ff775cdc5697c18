// EmbedCommand: `ncut embed` — .npy features in, top-k eigenvectors (and eigenvalues) out; exact or Nyström by size or --path.
using System.Numerics;
using NcutKernels.IO;
using NcutKernels.Runtime;
using NcutKernels.Spectral;

namespace NcutKernels.Cli;

internal static class EmbedCommand
{
    private static readonly HashSet<string> Known =
        ["input", "n-eig", "output", "eigenvalues", "affinity", "sigma", "quantile", "device", "seed", "vjp", "eigenvalue-vjp", "grad-output",
         "path", "propagation", "sampling", "distance-precision", "classic-landmarks", "accuracy-check"];

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
        var nystrom = new NystromOptions
        {
            Path = a.Enum<EmbeddingPath>("path") ?? EmbeddingPath.Auto,
            Propagation = a.Enum<NystromPropagation>("propagation"),
            Sampling = a.Enum<LandmarkSampling>("sampling") ?? new NystromOptions().Sampling,
            DistancePrecision = a.Enum<DistancePrecision>("distance-precision") ?? new NystromOptions().DistancePrecision,
            ClassicLandmarks = a.Int("classic-landmarks"),
            AccuracyCheckRows = a.Int("accuracy-check") ?? 0,
        };
        var kind = ParseDevice(a.String("device"));
        var array = Npy.Read(input);
        if (array.Shape.Length != 2)
            throw new InvalidDataException($"{input}: features must be a 2-D array (n × d), got shape ({string.Join(", ", array.Shape)}).");
        string? vjp = a.String("vjp"), eigenVjp = a.String("eigenvalue-vjp"), gradOutput = a.String("grad-output");
        if ((vjp is not null || eigenVjp is not null) != (gradOutput is not null))
            throw new UsageException("--grad-output goes with --vjp and/or --eigenvalue-vjp (and they need it)");
        using var device = ComputeDevice.Create(kind, stdout);
        using var embedding = new NystromNcut(device, options, nystrom);
        if (gradOutput is not null)
        {
            if (array.IsDouble && device.Kind == DeviceKind.Cpu)
                Backpropagate(embedding, array.ToMatrix<double>(), vjp, eigenVjp, output, gradOutput, stdout);
            else
            {
                if (array.IsDouble)
                    stdout.WriteLine($"ncut: float64 input computed in float32 on {device.Kind}; outputs are float32");
                Backpropagate(embedding, array.ToMatrix<float>(), vjp, eigenVjp, output, gradOutput, stdout);
            }
            PrintPath(embedding, array.Shape[0], stdout);
            WriteEigenvalues(eigenvaluesPath, embedding.Eigenvalues, output, stdout);
            return 0;
        }
        if (array.IsDouble && device.Kind == DeviceKind.Cpu)
            Npy.Write(output, embedding.FitTransform(array.ToMatrix<double>()));
        else
        {
            if (array.IsDouble)
                stdout.WriteLine($"ncut: float64 input computed in float32 on {device.Kind}; output is float32");
            Npy.Write(output, embedding.FitTransform(array.Singles is not null ? ToMatrix(array.Singles, array.Shape) : array.ToMatrix<float>()));
        }
        PrintPath(embedding, array.Shape[0], stdout);
        WriteEigenvalues(eigenvaluesPath, embedding.Eigenvalues, output, stdout);
        return 0;
    }

    private static void PrintPath(NystromNcut embedding, int n, TextWriter stdout) => stdout.WriteLine(embedding.Path == EmbeddingPath.Exact
        ? $"ncut: path exact ({n} points, all in the graph)"
        : $"ncut: path nystrom ({n} points, {embedding.LandmarkIndices.Length} landmarks by {embedding.Nystrom.Sampling} sampling, {embedding.Propagation} propagation)" +
          (embedding.Timings is { } t ? $"; {t}" : ""));

    private static void WriteEigenvalues(string? path, double[] eigenvalues, string output, TextWriter stdout)
    {
        if (path is not null)
            Npy.Write(path, eigenvalues);
        stdout.WriteLine($"ncut: wrote {output}{(path is null ? "" : " and " + path)}; eigenvalues {string.Join(" ", eigenvalues.Take(5).Select(v => v.ToString("F6")))}{(eigenvalues.Length > 5 ? " …" : "")}");
    }

    /// <summary>
    /// Embeds x on a tape and back-propagates the upstream adjoints dU (n×k, same sign convention as the output) and
    /// dλ (k) to dX = Σ dU∘∂U/∂X + Σ dλ∘∂λ/∂X, written to <paramref name="gradOutput"/> (n×d); exact or through Nyström.
    /// </summary>
    private static void Backpropagate<T>(NystromNcut ncut, T[,] x, string? vjp, string? eigenVjp, string output, string gradOutput, TextWriter stdout)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        int n = x.GetLength(0), k = ncut.Options.EigenvectorCount;
        var du = vjp is null ? null : ReadAdjoint<T>(vjp, n, k, "--vjp");
        var dl = eigenVjp is null ? null : ReadAdjoint<T>(eigenVjp, 1, k, "--eigenvalue-vjp");
        using var tape = new Autodiff.Tape<T>(ncut.Device);
        var xv = tape.Input(x);
        var (u, lambda) = ncut.FitTransform(xv);
        // The loss ⟨dU, U⟩ + ⟨dλ, λ⟩ is linear in the outputs, so its gradient is exactly the vector-Jacobian product.
        Autodiff.Variable<T>? loss = null;
        if (du is not null)
            loss = Ops.TapeOps.Sum(tape, Ops.TapeOps.Multiply(tape, u, tape.Constant(du)));
        if (dl is not null)
        {
            var term = Ops.TapeOps.Sum(tape, Ops.TapeOps.Multiply(tape, lambda, tape.Constant(dl)));
            loss = loss is null ? term : Ops.TapeOps.Add(tape, loss, term);
        }
        tape.Backward(loss!);
        WriteMatrix(output, u.ToArray());
        WriteMatrix(gradOutput, xv.Gradient);
        stdout.WriteLine($"ncut: backward {ncut.GradientReport}; wrote {gradOutput}");
        if (ncut.GradientReport is { Reliable: false } r)
            stdout.WriteLine($"ncut: warning: the gradient may be inaccurate ({r})");
    }

    private static T[,] ReadAdjoint<T>(string path, int rows, int cols, string option) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var a = Npy.Read(path);
        int r = a.Shape[0], c = a.Shape.Length == 2 ? a.Shape[1] : 1;
        bool vector = rows == 1 && a.Shape.Length == 1 && r == cols;
        if (!vector && (r != rows || c != cols))
            throw new InvalidDataException($"{option} {path}: expected shape ({rows}, {cols}){(rows == 1 ? $" or ({cols},)" : "")}, got ({string.Join(", ", a.Shape)}).");
        var m = a.ToMatrix<T>();
        if (vector)
        {
            var row = new T[1, cols];
            for (int j = 0; j < cols; j++)
                row[0, j] = m[j, 0];
            m = row;
        }
        foreach (var v in m)
            if (!T.IsFinite(v))
                throw new InvalidDataException($"{option} {path}: contains a non-finite value {v}.");
        return m;
    }

    private static void WriteMatrix<T>(string path, T[,] m) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        if (m is double[,] d)
            Npy.Write(path, d);
        else
            Npy.Write(path, (float[,])(object)m);
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
