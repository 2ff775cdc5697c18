// DeviceKind: which compute backend a ComputeDevice runs on.
namespace NcutKernels.Runtime;

/// <summary>Which compute backend to use.</summary>
public enum DeviceKind
{
    /// <summary>CUDA through ILGPU when a CUDA device is usable, else the managed CPU backend.</summary>
    Auto,
    /// <summary>CUDA through ILGPU; creation fails with a clear error when no CUDA device is usable.</summary>
    Cuda,
    /// <summary>The managed CPU backend (Parallel.For + SIMD); float32 and float64.</summary>
    Cpu,
    /// <summary>ILGPU's CPU accelerator: runs the GPU kernels on emulated threads. Very slow; for kernel tests at tiny sizes.</summary>
    IlgpuCpu,
}
