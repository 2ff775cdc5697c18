// EmbedCommand: `ncut embed` — .npy features in, top-k eigenvectors (and eigenvalues) out; exact or Nyström by size or --path.
using System.Numerics;
using NcutKernels.Core;
using NcutKernels.IO;
using NcutKernels.Runtime;
using NcutKernels.Spectral;

namespace NcutKernels.Cli;

internal static class EmbedCommand
{
    /// <summary>The command: the input, the outputs, the <see cref="EmbeddingOptions"/> and the gradient options.</summary>
    public static NcutCommand Create()
    {
        var input = CliOption.Text("--input", "X.npy", "the n × d features, float32, float64 or integer .npy", null);
        var output = CliOption.Text("--output", "U.npy", "the n × k eigenvectors written", null);
        var eigenvalues = CliOption.Text("--eigenvalues", "L.npy", "the k eigenvalues written, float64", "not written");
        var embedding = new EmbeddingOptions();
        var vjp = CliOption.Text("--vjp", "dU.npy", "upstream adjoint dU (n × k) back-propagated to --grad-output", "none");
        var eigenVjp = CliOption.Text("--eigenvalue-vjp", "dL.npy", "upstream adjoint dλ (k) back-propagated to --grad-output", "none");
        var gradOutput = CliOption.Text("--grad-output", "dX.npy", "dX (n × d) written, with --vjp and/or --eigenvalue-vjp", "none");
        var command = new NcutCommand("embed",
            $".npy features in, top-k eigenvectors (and eigenvalues) out: exact up to {new NystromOptions().ExactThreshold} points, "
            + "Nyström landmarks + propagation above; gradients on both",
            [
                "ncut embed --input X.npy --n-eig K --output U.npy [--eigenvalues L.npy] [options]",
                "ncut embed --input X.npy --n-eig K --output U.npy --grad-output dX.npy [--vjp dU.npy] [--eigenvalue-vjp dL.npy] [options]",
            ])
            { input, output, eigenvalues };
        embedding.AddTo(command);
        command.Add(vjp);
        command.Add(eigenVjp);
        command.Add(gradOutput);
        command.SetAction((result, stdout, stderr) =>
        {
            var request = new Paths(result.GetValue(input)!, result.GetValue(output)!, result.GetValue(eigenvalues), result.GetValue(vjp),
                result.GetValue(eigenVjp), result.GetValue(gradOutput));
            if ((request.Vjp is not null || request.EigenVjp is not null) != (request.GradOutput is not null))
                throw new MisuseException("--grad-output goes with --vjp and/or --eigenvalue-vjp (and they need it)");
            return Run(request, embedding.Settings(result, stdout, stderr), stdout);
        });
        return command;
    }

    /// <summary>The files an embed reads and writes (null: not given).</summary>
    private sealed record Paths(string Input, string Output, string? Eigenvalues, string? Vjp, string? EigenVjp, string? GradOutput);

    /// <summary>Embeds the features of <paramref name="paths"/> with <paramref name="settings"/>, writing every output only when all succeed.</summary>
    private static int Run(Paths paths, (NcutOptions Options, NystromOptions Nystrom, DeviceKind Device) settings, TextWriter stdout)
    {
        var (input, output, eigenvaluesPath, vjp, eigenVjp, gradOutput) = paths;
        var (options, nystrom, kind) = settings;
        using var outputs = OutputPaths.Files([("--input", input), ("--vjp", vjp), ("--eigenvalue-vjp", eigenVjp)],
            [("--output", output), ("--eigenvalues", eigenvaluesPath), ("--grad-output", gradOutput)]);
        var x = FeatureMatrix.Read(input);
        x.RequireMoreRowsThan(options.EigenvectorCount);
        var array = x.Array;
        using var device = ComputeDevice.Create(kind, stdout);
        using var embedding = new NystromNcut(device, options, nystrom);
        var request = new Request(output, vjp, eigenVjp, gradOutput, outputs, stdout);
        try
        {
            if (x.InFloat64(device.Kind, stdout))
                Embed(embedding, array.ToMatrix<double>(), request);
            else
                Embed(embedding, array.Singles is not null ? ToMatrix(array.Singles, array.Shape) : array.ToMatrix<float>(), request);
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
    internal static string MemoryMessage(int n, int d, EmbeddingPath path, DeviceKind device) => path == EmbeddingPath.Exact
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

    internal static void WriteMatrix<T>(Stream stream, T[,] m) where T : unmanaged, IFloatingPointIeee754<T>
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

    /// <summary>Each library warning as one "ncut: warning: …" line on stderr.</summary>
    internal static Action<NcutWarning> Warnings(TextWriter stderr) => w => stderr.WriteLine($"ncut: warning: {w}");
}
