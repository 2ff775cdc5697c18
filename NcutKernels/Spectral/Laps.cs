// Laps: the stage timer the fits log with — milliseconds since the last lap, then a new lap.
using System.Diagnostics;

namespace NcutKernels.Spectral;

/// <summary>Stage timing for the fits' logs and timings records.</summary>
internal static class Laps
{
    /// <summary>Milliseconds since the stopwatch last started, and restarts it.</summary>
    public static double Lap(this Stopwatch sw)
    {
        double ms = sw.Elapsed.TotalMilliseconds;
        sw.Restart();
        return ms;
    }
}
