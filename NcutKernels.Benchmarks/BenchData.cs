// BenchData: the inputs every suite and the GPU harness use (uniform, standard normal and Gaussian-mixture features), seeded.
using NcutKernels.Runtime;

namespace NcutKernels.Benchmarks;

/// <summary>Seeded synthetic features, row-major float32.</summary>
public static class BenchData
{
    /// <summary>n×d uniform [0, 1) (the sklearn comparison case).</summary>
    public static float[] Uniform(int n, int d, int seed = 0)
    {
        var rng = new Random(seed);
        var x = new float[n * d];
        for (int i = 0; i < x.Length; i++)
            x[i] = rng.NextSingle();
        return x;
    }

    /// <summary>n×d standard normal: ncut_pytorch's exact-gradient benchmark input (torch.randn).</summary>
    public static float[] Normal(int n, int d, int seed = 0)
    {
        var rng = new Random(seed);
        var x = new float[n * d];
        for (int i = 0; i < x.Length; i++)
            x[i] = Normal(rng);
        return x;
    }

    /// <summary>
    /// n×d Gaussian mixture like the peer's eigen benchmark: c centres ~ N(0, 2²), points = centre + N(0, 1).
    /// Its normalized affinity has c eigenvalues near 1 and a gap after them.
    /// </summary>
    public static float[] Mixture(int n, int d, int clusters = 20, int seed = 0)
    {
        var rng = new Random(seed);
        var centres = new float[clusters * d];
        for (int i = 0; i < centres.Length; i++)
            centres[i] = 2 * Normal(rng);
        var x = new float[n * d];
        for (int i = 0; i < n; i++)
        {
            int c = rng.Next(clusters);
            for (int k = 0; k < d; k++)
                x[i * d + k] = centres[c * d + k] + Normal(rng);
        }
        return x;
    }

    private static float Normal(Random rng) =>
        (float)(Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble()));

    /// <summary>
    /// The device kinds to benchmark: Cpu, plus Cuda when usable. NCUT_BENCH_DEVICES=cuda (or cpu) keeps
    /// one of them, to fit a run into a short GPU lease.
    /// </summary>
    public static IEnumerable<DeviceKind> Devices()
    {
        string only = Environment.GetEnvironmentVariable("NCUT_BENCH_DEVICES")?.ToLowerInvariant() ?? "";
        if (only is "" or "cpu")
            yield return DeviceKind.Cpu;
        if (only is "" or "cuda")
        {
            using var auto = ComputeDevice.Create(DeviceKind.Auto);
            if (auto.Kind == DeviceKind.Cuda)
                yield return DeviceKind.Cuda;
        }
    }
}
