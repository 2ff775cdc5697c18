// DistancePrecision: how the CUDA path multiplies rows by anchors for the Nyström squared distances (float32 FMA, TF32 or 3xTF32 tensor cores).
namespace NcutKernels.Backends;

/// <summary>Arithmetic of the row–anchor products behind the Nyström distances on CUDA (ILGPU's CPU accelerator always uses float32).</summary>
internal enum DistancePrecision
{
    /// <summary>Float32 fused multiply-adds (<see cref="Kernels.PropagationKernels.AnchorDistanceTile"/>).</summary>
    Fp32,

    /// <summary>Tensor cores, operands rounded to TF32 (10 stored mantissa bits, relative rounding up to 2⁻¹¹): fastest, least accurate.</summary>
    Tf32,

    /// <summary>Tensor cores, 3xTF32 error-compensated products: about float32 accuracy at three times the tensor work.</summary>
    Tf32x3,
}
