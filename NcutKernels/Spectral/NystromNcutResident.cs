// NystromNcutResident: what a NystromNcut fit keeps on its device — landmark features, eigenvectors, the propagation's anchors and values — and its disposal.
using System.Numerics;
using NcutKernels.Runtime;

namespace NcutKernels.Spectral;

public sealed partial class NystromNcut : IDisposable
{
    private NystromResident? _resident;
    private bool _disposed;

    /// <summary>
    /// Frees the device memory the fit keeps (the landmark features m×d, their eigenvectors and the propagation's anchors and
    /// values). Further fits and transforms throw <see cref="ObjectDisposedException"/>; the fitted properties stay readable.
    /// </summary>
    public void Dispose()
    {
        DropResident();
        _disposed = true;
    }

    /// <summary>Frees the device-resident fit, if any.</summary>
    private void DropResident()
    {
        _resident?.Dispose();
        _resident = null;
    }

    /// <summary>Whether the fit holds device memory (for tests of <see cref="Dispose"/>).</summary>
    internal bool HoldsDeviceMemory => _resident is not null;
}
