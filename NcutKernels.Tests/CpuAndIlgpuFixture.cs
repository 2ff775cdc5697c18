// CpuAndIlgpuFixture: the managed CPU device and the ILGPU CPU accelerator, created once per fixture and disposed after it.
using NcutKernels.Runtime;
using NUnit.Framework;

namespace NcutKernels.Tests;

/// <summary>
/// Base of the fixtures that run a primitive on both CPU devices: the managed backend (<see cref="Cpu"/>) and the ILGPU
/// kernels on ILGPU's CPU accelerator (<see cref="Ilgpu"/>).
/// </summary>
public abstract class CpuAndIlgpuFixture
{
    /// <summary>The managed CPU backend.</summary>
    protected ComputeDevice Cpu { get; private set; } = null!;

    /// <summary>The ILGPU kernels on the CPU accelerator.</summary>
    protected ComputeDevice Ilgpu { get; private set; } = null!;

    [OneTimeSetUp]
    public void CreateDevices()
    {
        Cpu = ComputeDevice.Create(DeviceKind.Cpu);
        Ilgpu = ComputeDevice.Create(DeviceKind.IlgpuCpu);
    }

    [OneTimeTearDown]
    public void DisposeDevices()
    {
        Cpu.Dispose();
        Ilgpu.Dispose();
    }
}
