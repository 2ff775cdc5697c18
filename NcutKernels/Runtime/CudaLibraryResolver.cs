// CudaLibraryResolver: lets ILGPU find the CUDA driver as libcuda.so.1 on driver-only Linux installs.
using System.Reflection;
using System.Runtime.InteropServices;
using ILGPU;

namespace NcutKernels.Runtime;

/// <summary>
/// ILGPU loads the driver as "cuda" (libcuda.so), which driver-only installs lack: they ship
/// libcuda.so.1. Without this resolver CUDA silently disappears and everything runs on the CPU.
/// </summary>
internal static class CudaLibraryResolver
{
    private static readonly object Gate = new();
    private static bool _installed;

    /// <summary>What the resolver did, for <c>ncut info</c> and the device log line.</summary>
    public static string Note { get; private set; } = "not installed";

    /// <summary>Installs the resolver once per process (Linux only). Never throws.</summary>
    public static void Install()
    {
        lock (Gate)
        {
            if (_installed)
                return;
            _installed = true;
            if (!OperatingSystem.IsLinux())
            {
                Note = "not needed on this OS";
                return;
            }
            try
            {
                NativeLibrary.SetDllImportResolver(typeof(Context).Assembly, Resolve);
                Note = "installed (cuda -> libcuda.so | libcuda.so.1)";
            }
            catch (InvalidOperationException)
            {
                // ILGPU installed its own resolver (it does so under WSL); keep it.
                Note = "ILGPU's own resolver kept";
            }
        }
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? path)
    {
        if (name is not ("cuda" or "libcuda" or "libcuda.so"))
            return IntPtr.Zero;
        foreach (var candidate in new[] { "libcuda.so", "libcuda.so.1" })
        {
            if (NativeLibrary.TryLoad(candidate, assembly, path, out var handle))
                return handle;
        }
        return IntPtr.Zero;
    }
}
