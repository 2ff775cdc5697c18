// PtxCompileTests: every ILGPU kernel (found by reflection in NcutKernels.Kernels) compiles to PTX for sm_80 on a machine without a GPU (ILGPU's CPU accelerator never generates PTX), the classic extension's value kernel computes in float64 with IEEE division, the quad-staged kernels (distance tile, skinny product) read aligned float4s from shared memory, and the TF32 tile issues tensor-core mma without local arrays.
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
    /// <summary>
    /// The kernels that were listed here by hand before discovery by reflection: the discovered set must keep every one
    /// (a kernel renamed or moved out of <see cref="NcutKernels.Kernels"/> fails <see cref="Discovery_KeepsEveryKnownKernel"/>
    /// instead of silently going uncompiled). New kernels need no entry here.
    /// </summary>
    private static readonly string[] KnownKernels =
    [
        "AffinityKernels.ColumnMeans", "AffinityKernels.SubtractMeans", "AffinityKernels.RowSquaredNorms", "AffinityKernels.NormalizeRows",
        "AffinityKernels.AffinityTile", "AffinityKernels.DistanceAffinityTile",
        "NormalizeKernels.RowSumsWarp", "NormalizeKernels.InvSqrt", "NormalizeKernels.Normalize",
        "BlasKernels.SymmetricProductPartial", "BlasKernels.ReduceSlices", "BlasKernels.ProductPartial", "BlasKernels.InnerProducts", "BlasKernels.Combine",
        "NcutBackwardKernels.ScaledTranspose", "NcutBackwardKernels.DegreeAdjoint", "NcutBackwardKernels.AdjointAffinityTile",
        "NcutBackwardKernels.AccumulateFeatureGradient", "NcutBackwardKernels.AccumulateFeatureGradientDirect",
        "SamplingKernels.FarthestPointSample",
        "GridSamplingKernels.Transpose", "GridSamplingKernels.FarthestPointSample",
        "PropagationKernels.CentredSquaredNorms", "PropagationKernels.AnchorDistanceTile", "PropagationKernels.SelectNearest",
        "PropagationKernels.ClassicValues", "PropagationKernels.FinishClassic",
        "SkinnyProduct.RbfWeightedSums",
        "MmaDistanceTile.AnchorDistanceTileTf32",
        "SigmaKernels.PairTerms", "SigmaKernels.AffinityRowSums",
        "RowKernels.GatherRows", "RowKernels.ScaleColumns", "RowKernels.MaxAbs", "RowKernels.FirstNonFinite",
    ];

    /// <summary>
    /// Every kernel of the library, found by reflection: the public static void methods, with at least one parameter, of
    /// the static classes in namespace NcutKernels.Kernels (the kernel classes; device helpers such as Tile8x8, QuadTile
    /// and Row8 are structs, and a kernel class's own helpers are private).
    /// </summary>
    private static IEnumerable<MethodInfo> KernelMethods() =>
        typeof(AffinityKernels).Assembly.GetTypes()
            .Where(t => t.Namespace == "NcutKernels.Kernels" && t.IsClass && t.IsAbstract && t.IsSealed && !t.IsNested)
            .OrderBy(t => t.Name, StringComparer.Ordinal)
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Static | BindingFlags.DeclaredOnly).OrderBy(m => m.MetadataToken))
            .Where(m => m.ReturnType == typeof(void) && m.GetParameters().Length > 0);

    private static string Name(MethodInfo kernel) => $"{kernel.DeclaringType!.Name}.{kernel.Name}";

    private static IEnumerable<TestCaseData> Kernels() => KernelMethods().Select(m => new TestCaseData(m).SetArgDisplayNames(Name(m)));

    /// <summary>A kernel's first parameter is an ILGPU index type when ILGPU groups it implicitly.</summary>
    private static bool ImplicitlyGrouped(MethodInfo kernel) =>
        kernel.GetParameters()[0].ParameterType is var first && (first == typeof(Index1D) || first == typeof(Index2D) || first == typeof(Index3D));

    /// <summary>The kernel's PTX for sm_80 (ISA 7.8) at O2 with ILGPU.Algorithms, compiled without a GPU.</summary>
    private static string Ptx(MethodInfo kernel)
    {
        using var context = Context.Create(b => b.Cuda().EnableAlgorithms().Optimize(OptimizationLevel.O2));
        using var backend = new PTXBackend(context, CudaArchitecture.SM_80, CudaInstructionSet.ISA_78, null!);
        var entry = ImplicitlyGrouped(kernel)
            ? EntryPointDescription.FromImplicitlyGroupedKernel(kernel)
            : EntryPointDescription.FromExplicitlyGroupedKernel(kernel);
        return ((PTXCompiledKernel)backend.Compile(entry, KernelSpecialization.Empty)).PTXAssembly;
    }

    [Test]
    public void Discovery_KeepsEveryKnownKernel()
    {
        var found = KernelMethods().Select(Name).ToArray();
        Assert.That(KnownKernels.Except(found), Is.Empty, "kernels no longer found in NcutKernels.Kernels (renamed, moved or no longer a public static void method of a static class)");
    }

    [TestCaseSource(nameof(Kernels))]
    public void Kernel_CompilesToPtx(MethodInfo kernel)
    {
        string ptx;
        try
        {
            ptx = Ptx(kernel);
        }
        catch (Exception e)
        {
            Assert.Fail($"{Name(kernel)} ({(ImplicitlyGrouped(kernel) ? "implicitly" : "explicitly")} grouped) does not compile to PTX: {e.GetType().Name}: {e.Message}" +
                (e.InnerException is { } inner ? $" ← {inner.GetType().Name}: {inner.Message}" : ""));
            return;
        }
        Assert.That(ptx, Does.Contain(".entry"));
        Assert.That(ptx, Does.Not.Contain("call.uni"), "helper calls left in a kernel: inlining failed");
    }

    [Test]
    public void ClassicValues_ComputesInFloat64WithIeeeDivision()
    {
        var ptx = Ptx(typeof(PropagationKernels).GetMethod(nameof(PropagationKernels.ClassicValues))!);
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
        var ptx = Ptx(owner.GetMethod(name)!);
        var shared = ptx.Split('\n').Where(l => l.TrimStart().StartsWith(".shared")).ToArray();
        Assert.That(shared, Has.Length.EqualTo(2).And.All.Contains(".align 16"));
        Assert.That(ptx, Does.Contain("ld.shared.v4.f32"));
        Assert.That(ptx, Does.Not.Contain(".local"), "a register block lowered to a local array");
    }

    [Test]
    public void MmaDistanceTile_IssuesTf32MmaWithoutLocalArrays()
    {
        var ptx = Ptx(typeof(MmaDistanceTile).GetMethod(nameof(MmaDistanceTile.AnchorDistanceTileTf32))!);
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
