// NcutTimings: wall-clock milliseconds of each stage of the last fit.
namespace NcutKernels.Spectral;

/// <summary>Milliseconds spent in each stage of the last <see cref="Ncut"/> fit (device work synchronized).</summary>
public sealed record NcutTimings(double SigmaMs, double UploadMs, double AffinityMs, double NormalizeMs, double EigenMs, double DownloadMs)
{
    /// <summary>Sum of the stages.</summary>
    public double TotalMs => SigmaMs + UploadMs + AffinityMs + NormalizeMs + EigenMs + DownloadMs;

    /// <inheritdoc />
    public override string ToString() =>
        $"σ {SigmaMs:F1} ms, upload {UploadMs:F1} ms, affinity {AffinityMs:F1} ms, normalize {NormalizeMs:F1} ms, eigen {EigenMs:F1} ms, download {DownloadMs:F1} ms, total {TotalMs:F1} ms";
}
