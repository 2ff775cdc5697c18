// EmbedCommand: `ncut embed` — .npy features in, top-k eigenvectors (and eigenvalues) out; exact or Nyström by size or --path.
using System.Numerics;
using NcutKernels.Core;
using NcutKernels.IO;
using NcutKernels.Runtime;
using NcutKernels.Spectral;

namespace NcutKernels.Cli;

internal static class EmbedCommand
{
    /// <summary>The options that say how to embed (graph, path, device), shared by every command that fits an embedding from .npy features.</summary>
    internal static readonly string[] EmbeddingOptionNames =
        ["n-eig", "affinity", "sigma", "quantile", "device", "seed", "path", "propagation", "sampling", "distance-precision", "classic-landmarks", "accuracy-check"];

    private static readonly HashSet<string> Known =
        ["input", "output", "eigenvalues", "vjp", "eigenvalue-vjp", "grad-output", .. EmbeddingOptionNames];

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var a = new CliArgs(args, Known, flags: Flags);
        string input = a.Required("input"), output = a.Required("output");
        string? eigenvaluesPath = a.String("eigenvalues"), vjp = a.String("vjp"), eigenVjp = a.String("eigenvalue-vjp"), gradOutput = a.String("grad-output");
        var (options, nystrom, kind) = EmbeddingSettings(a, stdout, stderr);
        if ((vjp is not null || eigenVjp is not null) != (gradOutput is not null))
            throw new UsageException("--grad-output goes with --vjp and/or --eigenvalue-vjp (and they need it)");
        using var outputs = OutputPaths.Files([("--input", input), ("--vjp", vjp), ("--eigenvalue-vjp", eigenVjp)],
            [("--output", output), ("--eigenvalues", eigenvaluesPath), ("--grad-output", gradOutput)]);
        var array = Npy.Read(input);
        if (array.Shape.Length != 2)
            throw new InvalidDataException($"{input}: features must be a 2-D array (n × d), got shape ({string.Join(", ", array.Shape)}).");
        using var device = ComputeDevice.Create(kind, stdout);
        using var embedding = new NystromNcut(device, options, nystrom);
        var request = new Request(output, vjp, eigenVjp, gradOutput, outputs, stdout);
        try
        {
            if (KeepsFloat64(array.IsDouble, device.Kind))
                Embed(embedding, array.ToMatrix<double>(), request);
            else
            {
                if (array.IsDouble)
                    stdout.WriteLine($"ncut: float64 input computed in float32 on {device.Kind}; outputs are float32");
                Embed(embedding, array.Singles is not null ? ToMatrix(array.Singles, array.Shape) : array.ToMatrix<float>(), request);
            }
        }
        catch (OutOfMemoryException e) when (e is not InsufficientMemoryException)
        {
            throw new InsufficientMemoryException(MemoryMessage(array.Shape[0], array.Shape[1], embedding.Path, device.Kind), e);
        }
        PrintPath(embedding, array.Shape[0], stdout);
        if (eigenvaluesPath is not null)
            outputs.Write(eigenvaluesPath, s => Npy.Write(s, embedding.Eigenvalues));
        outputs.Commit();
        var eigenvalues = embedding.Eigenvalues;
        stdout.WriteLine($"ncut: wrote {string.Join(", ", outputs.Targets)}; eigenvalues {string.Join(" ", eigenvalues.Take(5).Select(v => v.ToString("F6")))}{(eigenvalues.Length > 5 ? " …" : "")}");
        return ExitCode.Success;
    }

    /// <summary>
    /// The <see cref="EmbeddingOptionNames"/> (and --strict) as library settings: --n-eig is required; the library's log goes to
    /// <paramref name="stdout"/>, its warnings to <paramref name="stderr"/>.
    /// </summary>
    internal static (NcutOptions Options, NystromOptions Nystrom, DeviceKind Device) EmbeddingSettings(CliArgs a, TextWriter stdout, TextWriter stderr)
    {
        var options = new NcutOptions
        {
            EigenvectorCount = a.Int("n-eig") ?? throw new UsageException("missing required option --n-eig"),
            Affinity = a.Enum<AffinityKind>("affinity") ?? AffinityKind.Rbf,
            Sigma = a.Double("sigma"),
            Quantile = a.Double("quantile"),
            Seed = a.Int("seed") ?? 0,
            Log = stdout,
            OnWarning = Warnings(stderr),
            Strict = a.Flag("strict"),
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
        return (options, nystrom, ParseDevice(a.String("device")));
    }

    /// <summary>What to compute and where it goes.</summary>
    private sealed record Request(string Output, string? Vjp, string? EigenVjp, string? GradOutput, StagedFiles Outputs, TextWriter Stdout);

    /// <summary>The embedding of <paramref name="x"/> (and, when asked, its gradient) written into the staged outputs.</summary>
    private static void Embed<T>(NystromNcut embedding, T[,] x, Request r) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (r.GradOutput is null)
        {
            var u = embedding.FitTransform(x);
            r.Outputs.Write(r.Output, s => WriteMatrix(s, u));
        }
        else
            Backpropagate(embedding, x, r);
    }

    /// <summary>An out-of-memory message that says how big the request was (on the exact path the n × n affinity dominates).</summary>
    private static string MemoryMessage(int n, int d, EmbeddingPath path, DeviceKind device) => path == EmbeddingPath.Exact
        ? $"embedding {n} × {d} features on the exact path on {device}: its n × n affinity alone takes {(double)n * n * 4 / (1 << 30):F1} GiB in float32"
        : $"embedding {n} × {d} features on {device}";

    internal static void PrintPath(NystromNcut embedding, int n, TextWriter stdout) => stdout.WriteLine(embedding.Path == EmbeddingPath.Exact
        ? $"ncut: path exact ({n} points, all in the graph)"
        : $"ncut: path nystrom ({n} points, {embedding.LandmarkIndices.Length} landmarks by {embedding.Nystrom.Sampling} sampling, {embedding.Propagation} propagation)" +
          (embedding.Timings is { } t ? $"; {t}" : ""));

    /// <summary>
    /// Embeds x on a tape and back-propagates the upstream adjoints dU (n×k, same sign convention as the output) and
    /// dλ (k) to dX = Σ dU∘∂U/∂X + Σ dλ∘∂λ/∂X, written to the gradient output (n×d); exact or through Nyström.
    /// </summary>
    private static void Backpropagate<T>(NystromNcut ncut, T[,] x, Request r)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = x.GetLength(0), k = ncut.Options.EigenvectorCount;
        var du = r.Vjp is null ? null : ReadAdjoint<T>(r.Vjp, n, k, "--vjp");
        var dl = r.EigenVjp is null ? null : ReadAdjoint<T>(r.EigenVjp, 1, k, "--eigenvalue-vjp");
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
        var values = u.ToArray();
        var gradient = xv.Gradient;
        r.Outputs.Write(r.Output, s => WriteMatrix(s, values));
        r.Outputs.Write(r.GradOutput!, s => WriteMatrix(s, gradient));
        r.Stdout.WriteLine($"ncut: backward {ncut.GradientReport}");
    }

    private static T[,] ReadAdjoint<T>(string path, int rows, int cols, string option) where T : unmanaged, IFloatingPointIeee754<T>
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

    private static void WriteMatrix<T>(Stream stream, T[,] m) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (m is double[,] d)
            Npy.Write(stream, d);
        else
            Npy.Write(stream, (float[,])(object)m);
    }

    private static T[,] ToMatrix<T>(T[] data, int[] shape) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var m = new T[shape[0], shape[1]];
        Buffer.BlockCopy(data, 0, m, 0, data.Length * System.Runtime.CompilerServices.Unsafe.SizeOf<T>());
        return m;
    }

    /// <summary>Whether float64 input is computed in float64: on the CPU backend only; other devices compute float32 (and the command says so).</summary>
    internal static bool KeepsFloat64(bool isDouble, DeviceKind device) => isDouble && device == DeviceKind.Cpu;

    /// <summary>The options that take no value.</summary>
    internal static readonly HashSet<string> Flags = ["strict"];

    /// <summary>Each library warning as one "ncut: warning: …" line on stderr.</summary>
    internal static Action<NcutWarning> Warnings(TextWriter stderr) => w => stderr.WriteLine($"ncut: warning: {w}");

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
