// CpuFixture: the managed CPU device, created once per fixture and disposed after it.
using NcutKernels.Runtime;
using NUnit.Framework;

namespace NcutKernels.Tests;

/// <summary>Base of the fixtures that run on one managed CPU device (<see cref="Cpu"/>) shared by their tests.</summary>
public abstract class CpuFixture
{
    /// <summary>The managed CPU backend.</summary>
    protected ComputeDevice Cpu { get; private set; } = null!;

    [OneTimeSetUp]
    public void CreateCpu() => Cpu = ComputeDevice.Create(DeviceKind.Cpu);

    [OneTimeTearDown]
    public void DisposeCpu() => Cpu.Dispose();
}
