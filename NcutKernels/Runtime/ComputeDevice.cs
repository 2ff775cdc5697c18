// ComputeDevice: picks and owns a backend (CUDA through ILGPU, managed CPU, or ILGPU's CPU accelerator) and says why.
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;
using NcutKernels.Backends;
using NcutKernels.Backends.Ilgpu;
using NcutKernels.Backends.Managed;

namespace NcutKernels.Runtime;

/// <summary>
/// A compute device: the backend every matrix and algorithm of NcutKernels runs on.
/// <c>using var device = ComputeDevice.Create(DeviceKind.Auto);</c> picks CUDA when a CUDA device
/// is usable and the managed CPU backend otherwise; <see cref="Reason"/> says why.
/// </summary>
/// <remarks>
/// A device may be shared by several threads, each with its own algorithms (<c>Ncut</c>, <c>NystromNcut</c>, tapes) and
/// matrices — those are not thread-safe per instance. A GPU device (<see cref="DeviceKind.Cuda"/>, <see cref="DeviceKind.IlgpuCpu"/>)
/// serializes their work: each primitive (kernel launches, allocation, upload, download, synchronization) holds the device's
/// lock and binds the accelerator (for CUDA, its context) to the calling thread, so its kernel cache and scratch are never
/// used by two threads at once. The managed CPU backend keeps no state between calls and runs them concurrently. Results do
/// not depend on what other threads do on the device: they are bit-identical to the same runs done one after another.
/// <see cref="Dispose"/> may be called while other threads use the device (see there).
/// </remarks>
public sealed class ComputeDevice : IDisposable
{
    private Backend? _backend;
    private readonly Context? _context;

    private ComputeDevice(DeviceKind kind, string name, string reason, Backend backend, Context? context)
    {
        Kind = kind;
        Name = name;
        Reason = reason;
        _backend = backend;
        _context = context;
    }

    /// <summary>The backend actually in use (never <see cref="DeviceKind.Auto"/>).</summary>
    public DeviceKind Kind { get; }

    /// <summary>Human-readable device name, e.g. "NVIDIA H100 80GB HBM3" or "managed CPU (2 cores)".</summary>
    public string Name { get; }

    /// <summary>Why this device was chosen (including why CUDA was not, when it was not).</summary>
    public string Reason { get; }

    /// <summary>One line for logs: kind, name and reason.</summary>
    public string Description => $"device: {Kind} — {Name} ({Reason})";

    /// <summary>True after <see cref="Dispose"/>.</summary>
    public bool IsDisposed => _backend is null;

    internal Backend Backend => _backend ?? throw new ObjectDisposedException(nameof(ComputeDevice));

    internal void ThrowIfDisposed() => _ = Backend;

    /// <summary>
    /// Throws <see cref="NotSupportedException"/> unless T is float or double (<paramref name="who"/> names the caller) and, for
    /// double, this is the managed CPU backend (the ILGPU kernels compute in float32).
    /// </summary>
    internal void ThrowIfUnsupported<T>(string who) where T : unmanaged
    {
        ThrowIfNotFloatingPoint<T>(who);
        if (typeof(T) == typeof(double) && Kind != DeviceKind.Cpu)
            throw new NotSupportedException($"float64 features need DeviceKind.Cpu; the {Kind} kernels compute in float32.");
    }

    /// <summary>Throws <see cref="NotSupportedException"/> unless T is float or double (<paramref name="who"/> names the caller).</summary>
    internal static void ThrowIfNotFloatingPoint<T>(string who) where T : unmanaged
    {
        if (typeof(T) != typeof(float) && typeof(T) != typeof(double))
            throw new NotSupportedException($"{who} supports float and double, not {typeof(T).Name}.");
    }

    /// <summary>
    /// Creates a device of the requested kind and writes one line saying which and why to
    /// <paramref name="log"/> (if given). Auto never fails: without CUDA it falls back to the managed CPU backend.
    /// </summary>
    /// <exception cref="NotSupportedException">Cuda was forced and no CUDA device is usable.</exception>
    public static ComputeDevice Create(DeviceKind kind = DeviceKind.Auto, TextWriter? log = null)
    {
        if (!Enum.IsDefined(kind))
            throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown device kind.");
        var device = kind switch
        {
            DeviceKind.Cpu => Managed("requested"),
            DeviceKind.IlgpuCpu => CreateIlgpuCpu(),
            DeviceKind.Cuda => TryCreateCuda(out var cuda, out var why) ? cuda! : throw new NotSupportedException($"CUDA was requested but is not usable: {why}"),
            _ => TryCreateCuda(out var auto, out var whyNot) ? auto! : Managed($"auto: no usable CUDA device ({whyNot})"),
        };
        log?.WriteLine(device.Description);
        return device;
    }

    /// <summary>Probes CUDA without keeping it: a line per device found and which one <see cref="DeviceKind.Auto"/> picks, for <c>ncut info</c>.</summary>
    public static IReadOnlyList<string> Probe()
    {
        var lines = new List<string>();
        CudaLibraryResolver.Install();
        lines.Add($"CUDA driver resolver: {CudaLibraryResolver.Note}");
        try
        {
            using var ctx = Context.Create(b => b.Cuda());
            var cuda = ctx.GetCudaDevices();
            if (cuda.Count == 0)
                lines.Add("CUDA: no device found");
            foreach (var d in cuda)
                lines.Add($"CUDA: {d.Name}, {d.MemorySize / 1073741824.0:F1} GiB, compute capability {d.Architecture}, {d.NumMultiprocessors} SMs");
        }
        catch (Exception e)
        {
            lines.Add($"CUDA: unavailable ({e.GetType().Name}: {e.Message})");
        }
        lines.Add($"managed CPU: {Environment.ProcessorCount} cores, SIMD width {System.Numerics.Vector<float>.Count} floats");
        using var auto = Create(DeviceKind.Auto);
        lines.Add($"Auto picks: {auto.Kind} — {auto.Name} ({auto.Reason})");
        return lines;
    }

    private static ComputeDevice Managed(string reason) =>
        new(DeviceKind.Cpu, $"managed CPU ({Environment.ProcessorCount} cores, SIMD {System.Numerics.Vector<float>.Count}×float32)", reason, new ManagedBackend(), null);

    /// <summary>
    /// ILGPU's CPU accelerator (<see cref="DeviceKind.IlgpuCpu"/>); <paramref name="gridRows"/> bounds the rows per launch of the
    /// row-wise kernels (<see cref="RowBands"/>), lowered by tests to run several bands at tiny sizes.
    /// </summary>
    internal static ComputeDevice CreateIlgpuCpu(int gridRows = RowBands.MaxGridRows)
    {
        // 32-wide warps, 8 warps per group: the 256-thread groups the tile kernels use.
        var context = Context.Create(b => b.CPU(new CPUDevice(32, 8, 1)).EnableAlgorithms().Optimize(OptimizationLevel.O1));
        try
        {
            var acc = context.GetCPUDevice(0).CreateCPUAccelerator(context, CPUAcceleratorMode.Parallel);
            return new ComputeDevice(DeviceKind.IlgpuCpu, "ILGPU CPU accelerator", "requested (kernel tests)", new IlgpuBackend(acc, gridRows), context);
        }
        catch
        {
            context.Dispose();
            throw;
        }
    }

    private static bool TryCreateCuda(out ComputeDevice? device, out string whyNot)
    {
        device = null;
        CudaLibraryResolver.Install();
        Context? context = null;
        try
        {
            context = Context.Create(b => b.Cuda().EnableAlgorithms().Optimize(OptimizationLevel.O2));
            var cuda = context.GetCudaDevices();
            if (cuda.Count == 0)
            {
                whyNot = "ILGPU found no CUDA device (driver missing or no GPU)";
                context.Dispose();
                return false;
            }
            var acc = cuda[0].CreateCudaAccelerator(context);
            device = new ComputeDevice(DeviceKind.Cuda, acc.Name, $"CUDA device 0 of {cuda.Count}, {acc.MemorySize / 1073741824.0:F1} GiB", new IlgpuBackend(acc), context);
            whyNot = "";
            return true;
        }
        catch (Exception e)
        {
            context?.Dispose();
            whyNot = $"{e.GetType().Name}: {e.Message}";
            return false;
        }
    }

    /// <summary>
    /// Frees the backend (and its GPU context), once; safe to call from any thread, also while another thread uses the device:
    /// a GPU device first lets the operation in flight finish, and every later operation on the device, its matrices and the
    /// algorithms built on it throws <see cref="ObjectDisposedException"/>. Matrices should be disposed first (disposing one
    /// afterwards does nothing: its memory went with the device).
    /// </summary>
    public void Dispose()
    {
        var backend = Interlocked.Exchange(ref _backend, null);
        if (backend is null)
            return;
        backend.Dispose();
        _context?.Dispose();
    }
}
