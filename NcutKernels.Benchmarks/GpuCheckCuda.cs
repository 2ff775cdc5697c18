// GpuCheckCuda: the one raw CUDA accelerator that gpu-check's kernel-level sections (distance tiles, classic pieces, sampling) share.
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;
using NcutKernels.Runtime;

namespace NcutKernels.Benchmarks;

public static partial class GpuCheck
{
    /// <summary>A CUDA context and accelerator of gpu-check's own for sections that launch kernels directly; null inside when there is no CUDA device.</summary>
    private sealed class RawCuda : IDisposable
    {
        private readonly Context _context;

        public RawCuda()
        {
            CudaLibraryResolver.Install();
            _context = Context.Create(b => b.Cuda().EnableAlgorithms().Optimize(OptimizationLevel.O2));
            var devices = _context.GetCudaDevices();
            Accelerator = devices.Count == 0 ? null : devices[0].CreateCudaAccelerator(_context);
        }

        /// <summary>The accelerator, or null (the sections then print "skipped").</summary>
        public Accelerator? Accelerator { get; }

        public void Dispose()
        {
            Accelerator?.Dispose();
            _context.Dispose();
        }
    }

    /// <summary>The shared accelerator, or null after a "skipped: no CUDA device" line.</summary>
    private static Accelerator? CudaOrSkip(RawCuda cuda)
    {
        if (cuda.Accelerator is null)
            Line("skipped: no CUDA device");
        return cuda.Accelerator;
    }
}
