// ClusterCommand: `ncut cluster` — .npy features in, C-way NCUT cluster labels (int64 .npy) and optionally the k-way scores out.
using System.Numerics;
using NcutKernels.IO;
using NcutKernels.Runtime;
using NcutKernels.Spectral;

namespace NcutKernels.Cli;

/// <summary>
/// Clusters n × d features into C clusters with <see cref="SpectralClustering"/>: the embedding as <c>ncut embed</c> computes it
/// (the same options; --n-eig defaults to C), then a k-way rotation (--kway, default axis alignment). Writes the labels (int64,
/// length n, values 0..C−1) and with --scores the n × C scores U·R (float32; float64 on --device cpu with float64 input).
/// </summary>
internal static class ClusterCommand
{
    /// <summary>The command: the input, the outputs, the cluster count and k-way method, and the <see cref="EmbeddingOptions"/> (--n-eig defaults to --clusters).</summary>
    public static NcutCommand Create()
    {
        var input = CliOption.Text("--input", "X.npy", "the n × d features, float32, float64 or integer .npy", null);
        var clusters = CliOption.Int("--clusters", "C", "clusters, at most --n-eig", 2, int.MaxValue, null);
        var labels = CliOption.Text("--labels", "L.npy", "the cluster of each row written, int64 0..C−1, length n", null);
        var scores = CliOption.Text("--scores", "S.npy", "the n × C k-way scores U·R written", "not written");
        var kway = CliOption.Enum("--kway", "how the eigenvectors become clusters", KwayMethod.AxisAlign);
        var embedding = new EmbeddingOptions("--clusters");
        var command = new NcutCommand("cluster",
            ".npy features in, C-way NCUT cluster labels out: the embedding as `ncut embed` computes it, then a k-way rotation",
            ["ncut cluster --input X.npy --clusters C --labels L.npy [--scores S.npy] [options]"])
            { input, clusters, labels, scores, kway };
        embedding.AddTo(command);
        command.SetAction((result, stdout, stderr) =>
        {
            int c = result.GetValue(clusters);
            var settings = embedding.Settings(result, stdout, stderr, defaultEigenvectors: c);
            if (c > settings.Options.EigenvectorCount)
                throw new MisuseException($"--clusters {c} is more than --n-eig {settings.Options.EigenvectorCount}: the k-way discretization needs at least as many eigenvectors as clusters");
            return Run(result.GetValue(input)!, result.GetValue(labels)!, result.GetValue(scores), c, result.GetValue(kway), settings, stdout);
        });
        return command;
    }

    /// <summary>Clusters the features in <paramref name="input"/>, writing the labels (and scores) only when all succeed.</summary>
    private static int Run(string input, string labelsPath, string? scoresPath, int clusters, KwayMethod method,
        (NcutOptions Options, NystromOptions Nystrom, DeviceKind Device) settings, TextWriter stdout)
    {
        var (options, nystrom, kind) = settings;
        using var outputs = OutputPaths.Files([("--input", input)], [("--labels", labelsPath), ("--scores", scoresPath)]);
        var x = FeatureMatrix.Read(input);
        int n = x.Rows, d = x.Cols;
        x.RequireMoreRowsThan(options.EigenvectorCount, origin: "default: --clusters");
        using var device = ComputeDevice.Create(kind, stdout);
        using var clustering = new SpectralClustering(device, clusters, new SpectralClusteringOptions
        {
            Ncut = options,
            Nystrom = nystrom,
            Kway = new KwayOptions { ClusterCount = clusters, Method = method, Seed = options.Seed },
        });
        try
        {
            if (x.InFloat64(device.Kind, stdout))
                Cluster(clustering, x.Doubles, n, d, scoresPath, outputs);
            else
                Cluster(clustering, x.ToSingles(), n, d, scoresPath, outputs);
        }
        catch (OutOfMemoryException e) when (e is not InsufficientMemoryException)
        {
            throw new InsufficientMemoryException(EmbedCommand.MemoryMessage(n, d, clustering.Embedding.Path, device.Kind), e);
        }
        EmbedCommand.PrintPath(clustering.Embedding, n, stdout);
        var labels = clustering.Labels;
        outputs.Write(labelsPath, s => Npy.Write(s, labels));
        outputs.Commit();
        var sizes = new int[clusters];
        foreach (int label in labels)
            sizes[label]++;
        stdout.WriteLine($"ncut: {clusters} clusters ({method.ToString().ToLowerInvariant()} on {options.EigenvectorCount} eigenvectors), sizes {string.Join(" ", sizes)}");
        stdout.WriteLine($"ncut: wrote {string.Join(", ", outputs.Targets)}");
        return ExitCode.Success;
    }

    /// <summary>Fits the clustering on x (row-major n × d) and stages the scores when asked.</summary>
    private static void Cluster<T>(SpectralClustering clustering, T[] x, int n, int d, string? scoresPath, StagedFiles outputs)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var scores = clustering.FitTransform<T>(x, n, d);
        if (scoresPath is not null)
            outputs.Write(scoresPath, s => EmbedCommand.WriteMatrix(s, scores));
    }
}
