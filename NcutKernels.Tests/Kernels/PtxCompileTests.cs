// PtxCompileTests: every ILGPU kernel compiles to PTX for sm_80 on a machine without a GPU (ILGPU's CPU accelerator never generates PTX), the classic extension's value kernel computes in float64 with IEEE division, the quad-staged kernels (distance tile, skinny product) read aligned float4s from shared memory, and the TF32 tile issues tensor-core mma without local arrays.
using System.Reflection;
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;
using NcutKernels.Kernels;
using NUnit.Framework;

namespace NcutKernels.Tests.Kernels;

[TestFixture]
public class PtxCompileTests
{
    private static IEnumerable<MethodInfo> KernelMethods() =>
        new[] { typeof(AffinityKernels), typeof(NormalizeKernels), typeof(BlasKernels), typeof(NcutBackwardKernels), typeof(SamplingKernels),
            typeof(GridSamplingKernels), typeof(PropagationKernels), typeof(SkinnyProduct), typeof(MmaDistanceTile), typeof(SigmaKernels), typeof(RowKernels) }
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Static))
            .Where(m => m.ReturnType == typeof(void) && m.GetParameters().Length > 0);

    [TestCaseSource(nameof(KernelMethods))]
    public void Kernel_CompilesToPtx(MethodInfo kernel)
    {
        using var context = Context.Create(b => b.Cuda().EnableAlgorithms().Optimize(OptimizationLevel.O2));
        using var backend = new PTXBackend(context, CudaArchitecture.SM_80, CudaInstructionSet.ISA_78, null!);
        var first = kernel.GetParameters()[0].ParameterType;
        var entry = first == typeof(Index1D) || first == typeof(Index2D) || first == typeof(Index3D)
            ? EntryPointDescription.FromImplicitlyGroupedKernel(kernel)
            : EntryPointDescription.FromExplicitlyGroupedKernel(kernel);
        var compiled = (PTXCompiledKernel)backend.Compile(entry, KernelSpecialization.Empty);
        Assert.That(compiled.PTXAssembly, Does.Contain(".entry"));
        Assert.That(compiled.PTXAssembly, Does.Not.Contain("call.uni"), "helper calls left in a kernel: inlining failed");
    }

    [Test]
    public void ClassicValues_ComputesInFloat64WithIeeeDivision()
    {
        using var context = Context.Create(b => b.Cuda().EnableAlgorithms().Optimize(OptimizationLevel.O2));
        using var backend = new PTXBackend(context, CudaArchitecture.SM_80, CudaInstructionSet.ISA_78, null!);
        var kernel = typeof(PropagationKernels).GetMethod(nameof(PropagationKernels.ClassicValues))!;
        var ptx = ((PTXCompiledKernel)backend.Compile(EntryPointDescription.FromImplicitlyGroupedKernel(kernel), KernelSpecialization.Empty)).PTXAssembly;
        // (float64)v·sign, ·scale, ÷divisor rounded to nearest (no approximate division, nothing to contract into an fma), one
        // rounding to float32: the host's float64 formula bit for bit.
        var lines = ptx.Split('\n').Select(l => l.Trim()).ToArray();
        Assert.That(lines.Count(l => l.StartsWith("cvt.f64.f32")), Is.EqualTo(1));
        Assert.That(lines.Count(l => l.StartsWith("mul.f64") || l.StartsWith("mul.rn.f64")), Is.EqualTo(2));
        Assert.That(lines.Count(l => l.StartsWith("div.rn.f64")), Is.EqualTo(1));
        Assert.That(lines.Count(l => l.StartsWith("cvt.rn.f32.f64")), Is.EqualTo(1));
        Assert.That(ptx, Does.Not.Contain("fma.").And.Not.Contain(".approx").And.Not.Contain("div.full").And.Not.Contain("mul.f32"));
    }

    [TestCase(typeof(PropagationKernels), nameof(PropagationKernels.AnchorDistanceTile))]
    [TestCase(typeof(SkinnyProduct), nameof(SkinnyProduct.RbfWeightedSums))]
    public void QuadStagedKernel_ReadsSharedMemoryAsAlignedFloat4(Type owner, string name)
    {
        // ld.shared.v4 faults on an address that is not 16-byte aligned: ILGPU must align the staging buffers for the quad cast.
        using var context = Context.Create(b => b.Cuda().EnableAlgorithms().Optimize(OptimizationLevel.O2));
        using var backend = new PTXBackend(context, CudaArchitecture.SM_80, CudaInstructionSet.ISA_78, null!);
        var kernel = owner.GetMethod(name)!;
        var ptx = ((PTXCompiledKernel)backend.Compile(EntryPointDescription.FromExplicitlyGroupedKernel(kernel), KernelSpecialization.Empty)).PTXAssembly;
        var shared = ptx.Split('\n').Where(l => l.TrimStart().StartsWith(".shared")).ToArray();
        Assert.That(shared, Has.Length.EqualTo(2).And.All.Contains(".align 16"));
        Assert.That(ptx, Does.Contain("ld.shared.v4.f32"));
        Assert.That(ptx, Does.Not.Contain(".local"), "a register block lowered to a local array");
    }

    [Test]
    public void MmaDistanceTile_IssuesTf32MmaWithoutLocalArrays()
    {
        using var context = Context.Create(b => b.Cuda().EnableAlgorithms().Optimize(OptimizationLevel.O2));
        using var backend = new PTXBackend(context, CudaArchitecture.SM_80, CudaInstructionSet.ISA_78, null!);
        var kernel = typeof(MmaDistanceTile).GetMethod(nameof(MmaDistanceTile.AnchorDistanceTileTf32))!;
        var ptx = ((PTXCompiledKernel)backend.Compile(EntryPointDescription.FromExplicitlyGroupedKernel(kernel), KernelSpecialization.Empty)).PTXAssembly;
        var lines = ptx.Split('\n').Select(l => l.Trim()).ToArray();
        // One stripe: 16 mma plain + 48 mma 3xTF32 (both paths are in the kernel); the fallback loop is compiled away.
        Assert.That(lines.Count(l => l.StartsWith("mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32")), Is.EqualTo(64));
        Assert.That(ptx, Does.Contain("cvt.rna.tf32.f32"));
        Assert.That(ptx, Does.Not.Contain("call.uni"));
        // ILGPU passes inline-PTX operands through 4-byte local slots at fixed addresses (ptxas keeps them in registers);
        // anything larger would be an array (accumulators or fragments) spilled to local memory.
        var locals = lines.Where(l => l.StartsWith(".local")).ToArray();
        Assert.That(locals, Has.All.Match(@"^\.local \.align 4 \.b8 __local_depot\d+\[4\];$"));
        Assert.That(lines.Count(l => l.StartsWith(".shared")), Is.EqualTo(4), "big and small staging of both operands");
    }
}
