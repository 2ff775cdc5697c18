// DistancePrecision: the arithmetic of the row–anchor products behind the Nyström distances on CUDA (float32 FMA, 3xTF32 or TF32 tensor cores).
namespace NcutKernels.Core;

/// <summary>
/// How the CUDA kernels multiply rows by landmarks or anchors for the Nyström squared distances
/// (<c>NystromOptions.DistancePrecision</c>). The managed CPU backend and ILGPU's CPU accelerator always compute in
/// their own precision (float64 / float32 fused multiply-adds), and CUDA cards before compute capability 8.0 (no TF32
/// tensor cores) use <see cref="Fp32"/> whatever is asked; the choice matters on Ampere and later.
/// </summary>
public enum DistancePrecision
{
    /// <summary>Tensor cores with 3xTF32 error-compensated products: float32 accuracy (measured 1e-6 of the largest distance on an H200), about 15 % faster than <see cref="Fp32"/>.</summary>
    Tf32x3,

    /// <summary>Float32 fused multiply-adds on the CUDA cores.</summary>
    Fp32,

    /// <summary>Tensor cores, operands rounded to TF32 (10 mantissa bits): about 1.8× <see cref="Fp32"/>, distances within ~5e-5 of the largest, so near-tied neighbours may swap.</summary>
    Tf32,
}
