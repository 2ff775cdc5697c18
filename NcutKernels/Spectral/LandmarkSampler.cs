// LandmarkSampler: how a Nyström fit picks its landmarks — m = min(SampleCount, ⌊n·SampleMaxRatio⌋) rows, uniformly or by farthest points, from host or device rows.
using System.Numerics;
using NcutKernels.Runtime;

namespace NcutKernels.Spectral;

/// <summary>
/// The landmark strategy of <see cref="NystromNcut"/> (<see cref="NystromOptions.Sampling"/>): seeded uniform rows
/// (<see cref="UniformSampling"/>) or farthest-point sampling (<see cref="FarthestPointSampling"/>, on the device where the rows
/// are). Landmarks are constants of the fit: no gradient flows through the choice.
/// </summary>
internal static class LandmarkSampler
{
    /// <summary>m = min(SampleCount, ⌊n·SampleMaxRatio⌋) for n = <paramref name="rows"/>; throws, naming EigenvectorCount, when m ≤ k.</summary>
    public static int Count(int rows, NcutOptions options, NystromOptions nystrom)
    {
        int k = options.EigenvectorCount;
        int m = (int)Math.Min(nystrom.SampleCount, Math.Floor(rows * nystrom.SampleMaxRatio));
        if (m <= k)
            throw new ArgumentOutOfRangeException(nameof(options.EigenvectorCount), k,
                $"Nyström on n = {rows} points uses m = {m} landmarks (SampleCount {nystrom.SampleCount}, SampleMaxRatio {nystrom.SampleMaxRatio}); " +
                "EigenvectorCount must be less than m (raise the sample or take the exact path).");
        return m;
    }

    /// <summary>The landmark rows of host x (rows × cols, row-major), ascending.</summary>
    public static int[] Sample<T>(ComputeDevice device, ReadOnlySpan<T> x, int rows, int cols, NcutOptions options, NystromOptions nystrom)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int m = Count(rows, options, nystrom);
        var indices = nystrom.Sampling == LandmarkSampling.Uniform
            ? UniformSampling.Draw(rows, m, options.Seed)
            : FarthestPointSampling.Sample(device, x, rows, cols, m, options.Seed);
        Array.Sort(indices);
        return indices;
    }

    /// <summary>The landmark rows of device-resident x, ascending (farthest-point sampling walks on the device).</summary>
    public static int[] Sample<T>(ComputeDevice device, DeviceMatrix<T> x, NcutOptions options, NystromOptions nystrom)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int m = Count(x.Rows, options, nystrom);
        var indices = nystrom.Sampling == LandmarkSampling.Uniform
            ? UniformSampling.Draw(x.Rows, m, options.Seed)
            : FarthestPointSampling.Sample(device, x, m, options.Seed);
        Array.Sort(indices);
        return indices;
    }
}
