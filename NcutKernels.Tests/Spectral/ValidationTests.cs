// ValidationTests: bad inputs, bad options and disposed objects give clear exceptions naming the parameter.
using NUnit.Framework;
using NcutKernels.Core;
using NcutKernels.Runtime;
using NcutKernels.Spectral;

namespace NcutKernels.Tests.Spectral;

[TestFixture]
public class ValidationTests
{
    private static double[,] SmallData(int n = 12, int d = 3) => TestData.Blobs(n, d, 2, separation: 4, seed: 5);

    private static Ncut CpuNcut(ComputeDevice device, int k = 2) => new(device, new NcutOptions { EigenvectorCount = k, Sigma = 1 });

    [TestCase(double.NaN)]
    [TestCase(double.PositiveInfinity)]
    [TestCase(double.NegativeInfinity)]
    public void NonFiniteFeature_ThrowsArgumentException_NamingRowAndColumn(double bad)
    {
        var x = SmallData();
        x[7, 2] = bad;
        using var device = ComputeDevice.Create(DeviceKind.Cpu);
        var ncut = CpuNcut(device);
        Assert.That(() => ncut.FitTransform(x),
            Throws.TypeOf<ArgumentException>()
                .With.Message.Contains("row 7").And.Message.Contains("column 2")
                .And.Property(nameof(ArgumentException.ParamName)).EqualTo("x"));
    }

    [Test]
    public void NonFiniteFloat32Feature_ThrowsArgumentException()
    {
        var x = TestData.ToFloat(SmallData());
        x[0, 1] = float.NaN;
        using var device = ComputeDevice.Create(DeviceKind.Cpu);
        var ncut = CpuNcut(device);
        Assert.That(() => ncut.FitTransform(x),
            Throws.TypeOf<ArgumentException>().With.Message.Contains("row 0").And.Message.Contains("column 1"));
    }

    [TestCase(12, 12)]
    [TestCase(12, 13)]
    [TestCase(2, 2)]
    public void EigenvectorCountNotBelowN_ThrowsOutOfRange(int n, int k)
    {
        var x = SmallData(n);
        using var device = ComputeDevice.Create(DeviceKind.Cpu);
        var ncut = CpuNcut(device, k);
        Assert.That(() => ncut.FitTransform(x),
            Throws.TypeOf<ArgumentOutOfRangeException>()
                .With.Property(nameof(ArgumentException.ParamName)).EqualTo(nameof(NcutOptions.EigenvectorCount))
                .And.Message.Contains($"n = {n}"));
    }

    [Test]
    public void EigenvectorCountJustBelowN_IsAccepted()
    {
        // The boundary of the k < n rule: k = n − 1 must work (guards against an off-by-one in the check).
        var x = SmallData(6);
        using var device = ComputeDevice.Create(DeviceKind.Cpu);
        var ncut = CpuNcut(device, 5);
        var u = ncut.FitTransform(x);
        Assert.That(u.GetLength(0), Is.EqualTo(6));
        Assert.That(u.GetLength(1), Is.EqualTo(5));
    }

    [Test]
    public void SinglePoint_ThrowsOutOfRange_NamingRows()
    {
        using var device = ComputeDevice.Create(DeviceKind.Cpu);
        var ncut = CpuNcut(device, 1);
        Assert.That(() => ncut.FitTransform(new double[,] { { 1, 2, 3 } }),
            Throws.TypeOf<ArgumentOutOfRangeException>()
                .With.Property(nameof(ArgumentException.ParamName)).EqualTo("rows")
                .And.Message.Contains("2 points"));
    }

    [Test]
    public void ZeroColumns_ThrowsOutOfRange_NamingCols()
    {
        using var device = ComputeDevice.Create(DeviceKind.Cpu);
        var ncut = CpuNcut(device, 1);
        Assert.That(() => ncut.FitTransform<float>(ReadOnlySpan<float>.Empty, 5, 0),
            Throws.TypeOf<ArgumentOutOfRangeException>()
                .With.Property(nameof(ArgumentException.ParamName)).EqualTo("cols")
                .And.Message.Contains("d = 0"));
    }

    [Test]
    public void EmptyArray_ThrowsArgumentException()
    {
        using var device = ComputeDevice.Create(DeviceKind.Cpu);
        var ncut = CpuNcut(device, 1);
        Assert.That(() => ncut.FitTransform(new double[4, 0]),
            Throws.InstanceOf<ArgumentException>().With.Property(nameof(ArgumentException.ParamName)).EqualTo("x"));
    }

    [Test]
    public void SpanLengthMismatch_ThrowsArgumentException()
    {
        using var device = ComputeDevice.Create(DeviceKind.Cpu);
        var ncut = CpuNcut(device, 1);
        var data = new float[11];
        Assert.That(() => ncut.FitTransform<float>(data, 4, 3),
            Throws.TypeOf<ArgumentException>()
                .With.Property(nameof(ArgumentException.ParamName)).EqualTo("x")
                .And.Message.Contains("11"));
    }

    [TestCase(0.0)]
    [TestCase(-1.0)]
    [TestCase(double.NaN)]
    [TestCase(double.PositiveInfinity)]
    public void BadSigma_ThrowsInConstructor(double sigma)
    {
        using var device = ComputeDevice.Create(DeviceKind.Cpu);
        Assert.That(() => new Ncut(device, new NcutOptions { EigenvectorCount = 2, Sigma = sigma }),
            Throws.TypeOf<ArgumentOutOfRangeException>()
                .With.Property(nameof(ArgumentException.ParamName)).EqualTo(nameof(NcutOptions.Sigma)));
    }

    [TestCase(0.0)]
    [TestCase(1.0)]
    [TestCase(-0.1)]
    [TestCase(1.5)]
    [TestCase(double.NaN)]
    public void QuantileOutsideOpenUnitInterval_ThrowsInConstructor(double quantile)
    {
        using var device = ComputeDevice.Create(DeviceKind.Cpu);
        Assert.That(() => new Ncut(device, new NcutOptions { EigenvectorCount = 2, Quantile = quantile }),
            Throws.TypeOf<ArgumentOutOfRangeException>()
                .With.Property(nameof(ArgumentException.ParamName)).EqualTo(nameof(NcutOptions.Quantile))
                .And.Message.Contains("(0, 1)"));
    }

    [TestCase(1e-6)]
    [TestCase(0.5)]
    [TestCase(0.999)]
    public void QuantileInside_IsAccepted(double quantile)
    {
        using var device = ComputeDevice.Create(DeviceKind.Cpu);
        Assert.That(() => new Ncut(device, new NcutOptions { EigenvectorCount = 2, Quantile = quantile }), Throws.Nothing);
    }

    [Test]
    public void SigmaAndQuantileTogether_Throws()
    {
        using var device = ComputeDevice.Create(DeviceKind.Cpu);
        Assert.That(() => new Ncut(device, new NcutOptions { EigenvectorCount = 2, Sigma = 1, Quantile = 0.3 }),
            Throws.TypeOf<ArgumentException>()
                .With.Message.Contains("not both")
                .And.Property(nameof(ArgumentException.ParamName)).EqualTo(nameof(NcutOptions.Quantile)));
    }

    [TestCase(0)]
    [TestCase(-3)]
    public void EigenvectorCountBelowOne_ThrowsInConstructor(int k)
    {
        using var device = ComputeDevice.Create(DeviceKind.Cpu);
        Assert.That(() => new Ncut(device, new NcutOptions { EigenvectorCount = k }),
            Throws.TypeOf<ArgumentOutOfRangeException>()
                .With.Property(nameof(ArgumentException.ParamName)).EqualTo(nameof(NcutOptions.EigenvectorCount)));
    }

    [TestCase(0.0)]
    [TestCase(-1e-9)]
    [TestCase(double.NaN)]
    public void BadTolerance_ThrowsInConstructor(double tolerance)
    {
        using var device = ComputeDevice.Create(DeviceKind.Cpu);
        Assert.That(() => new Ncut(device, new NcutOptions { EigenvectorCount = 2, Tolerance = tolerance }),
            Throws.TypeOf<ArgumentOutOfRangeException>()
                .With.Property(nameof(ArgumentException.ParamName)).EqualTo(nameof(NcutOptions.Tolerance)));
    }

    [TestCase(0)]
    [TestCase(-1)]
    public void MaxBlockProductsBelowOne_ThrowsInConstructor(int products)
    {
        using var device = ComputeDevice.Create(DeviceKind.Cpu);
        Assert.That(() => new Ncut(device, new NcutOptions { EigenvectorCount = 2, MaxBlockProducts = products }),
            Throws.TypeOf<ArgumentOutOfRangeException>()
                .With.Property(nameof(ArgumentException.ParamName)).EqualTo(nameof(NcutOptions.MaxBlockProducts)));
    }

    [Test]
    public void UndefinedAffinityKind_ThrowsInConstructor()
    {
        using var device = ComputeDevice.Create(DeviceKind.Cpu);
        Assert.That(() => new Ncut(device, new NcutOptions { EigenvectorCount = 2, Affinity = (AffinityKind)42 }),
            Throws.TypeOf<ArgumentOutOfRangeException>()
                .With.Property(nameof(ArgumentException.ParamName)).EqualTo(nameof(NcutOptions.Affinity)));
    }

    [Test]
    public void NullDevice_ThrowsArgumentNull()
    {
        Assert.That(() => new Ncut(null!),
            Throws.TypeOf<ArgumentNullException>().With.Property(nameof(ArgumentException.ParamName)).EqualTo("device"));
    }

    [Test]
    public void DisposedDevice_InConstructor_ThrowsObjectDisposed()
    {
        var device = ComputeDevice.Create(DeviceKind.Cpu);
        device.Dispose();
        Assert.That(device.IsDisposed, Is.True);
        Assert.That(() => new Ncut(device, new NcutOptions { EigenvectorCount = 2 }),
            Throws.TypeOf<ObjectDisposedException>().With.Message.Contains(nameof(ComputeDevice)));
    }

    [TestCase(DeviceKind.Cpu)]
    [TestCase(DeviceKind.IlgpuCpu)]
    public void DeviceDisposedAfterConstruction_FitTransformThrowsObjectDisposed(DeviceKind kind)
    {
        var device = ComputeDevice.Create(kind);
        var ncut = CpuNcut(device);
        device.Dispose();
        Assert.That(() => ncut.FitTransform(TestData.ToFloat(SmallData())), Throws.TypeOf<ObjectDisposedException>());
    }

    [TestCase(DeviceKind.Cpu)]
    [TestCase(DeviceKind.IlgpuCpu)]
    public void DeviceDisposedTwice_IsHarmless(DeviceKind kind)
    {
        var device = ComputeDevice.Create(kind);
        device.Dispose();
        Assert.That(() => device.Dispose(), Throws.Nothing);
    }

    [Test]
    public void DisposedDeviceMatrix_DownloadThrowsObjectDisposed()
    {
        using var device = ComputeDevice.Create(DeviceKind.Cpu);
        var m = DeviceMatrix<float>.Upload(device, new float[,] { { 1, 2 }, { 3, 4 } });
        Assert.That(m.Download()[1, 0], Is.EqualTo(3f), "sanity: download before dispose works");
        m.Dispose();
        Assert.That(m.IsDisposed, Is.True);
        Assert.That(() => m.Download(), Throws.TypeOf<ObjectDisposedException>());
        Assert.That(() => m.Download(new float[4]), Throws.TypeOf<ObjectDisposedException>());
    }

    [Test]
    public void DeviceMatrixOnDisposedDevice_Throws()
    {
        var device = ComputeDevice.Create(DeviceKind.Cpu);
        device.Dispose();
        Assert.That(() => DeviceMatrix<double>.Allocate(device, 2, 2), Throws.TypeOf<ObjectDisposedException>());
    }

    [TestCase(5)]
    [TestCase(7)]
    [TestCase(0)]
    public void DeviceMatrixUpload_WrongElementCount_ThrowsArgumentException(int count)
    {
        using var device = ComputeDevice.Create(DeviceKind.Cpu);
        var data = new double[count];
        Assert.That(() => DeviceMatrix<double>.Upload(device, data, 2, 3),
            Throws.TypeOf<ArgumentException>()
                .With.Property(nameof(ArgumentException.ParamName)).EqualTo("rowMajor")
                .And.Message.Contains($"got {count}"));
    }

    [Test]
    public void DeviceMatrixDownload_WrongDestinationLength_ThrowsArgumentException()
    {
        using var device = ComputeDevice.Create(DeviceKind.Cpu);
        using var m = DeviceMatrix<double>.Allocate(device, 2, 3);
        Assert.That(() => m.Download(new double[5]),
            Throws.TypeOf<ArgumentException>().With.Property(nameof(ArgumentException.ParamName)).EqualTo("destination"));
    }

    [TestCase(-1)]
    [TestCase(4)]
    [TestCase(99)]
    public void CreateWithUndefinedKind_ThrowsOutOfRange(int kind)
    {
        Assert.That(() => ComputeDevice.Create((DeviceKind)kind),
            Throws.TypeOf<ArgumentOutOfRangeException>().With.Property(nameof(ArgumentException.ParamName)).EqualTo("kind"));
    }

    [Test]
    public void Float64OnIlgpuCpu_ThrowsNotSupported()
    {
        using var device = ComputeDevice.Create(DeviceKind.IlgpuCpu);
        var ncut = CpuNcut(device);
        Assert.That(() => ncut.FitTransform(SmallData()),
            Throws.TypeOf<NotSupportedException>().With.Message.Contains("float64").And.Message.Contains(nameof(DeviceKind.IlgpuCpu)));
    }
}
