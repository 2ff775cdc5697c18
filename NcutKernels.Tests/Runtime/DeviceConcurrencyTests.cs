// DeviceConcurrencyTests: one ComputeDevice shared by several threads, each with its own Ncut, NystromNcut and tape (no exception, outputs bit-identical to the same runs done one after another), and disposed while a thread uses it.
using NcutKernels.Autodiff;
using NcutKernels.Ops;
using NcutKernels.Runtime;
using NcutKernels.Spectral;
using NUnit.Framework;

namespace NcutKernels.Tests.Runtime;

[TestFixture]
[NonParallelizable]
public class DeviceConcurrencyTests
{
    /// <summary>What one worker computes: the exact embedding (on a tape), a Nyström fit and transform, and the gradient through the exact embedding.</summary>
    private sealed record Outputs(float[,] Exact, float[,] Nystrom, float[,] Transformed, float[,] Gradient);

    /// <summary>
    /// Worker <paramref name="worker"/>'s runs on <paramref name="device"/>: its own data (n × 16, three blobs) and seed; the
    /// Nyström path is forced, with the classic extension on even workers and ncut_pytorch's nearest anchors (farthest-point
    /// landmarks) on odd ones, so the propagation, selection and sampling kernels all run.
    /// </summary>
    private static Outputs Work(ComputeDevice device, int worker, int n)
    {
        const int d = 16, k = 3;
        var x = TestData.ToFloat(TestData.Blobs(n, d, 3, separation: 5, seed: 100 + worker));
        var fresh = TestData.ToFloat(TestData.Blobs(n / 4, d, 3, separation: 5, seed: 200 + worker));
        var options = new NcutOptions { EigenvectorCount = k, Seed = worker };
        using var tape = new Tape<float>(device);
        var input = tape.Input(x);
        var (u, _) = new Ncut(device, options).FitTransform(input);
        tape.Backward(tape.Sum(tape.Multiply(tape.Square(u), tape.Constant(TestData.ToFloat(TestData.Weights(n, k, worker))))));
        var nystromOptions = worker % 2 == 0
            ? new NystromOptions { Path = EmbeddingPath.Nystrom, Propagation = NystromPropagation.Classic }
            : new NystromOptions { Path = EmbeddingPath.Nystrom, Propagation = NystromPropagation.NcutPytorch, Sampling = LandmarkSampling.FarthestPoint, AnchorCount = 16 };
        using var nystrom = new NystromNcut(device, options, nystromOptions);
        var embedded = nystrom.FitTransform(x);
        var transformed = nystrom.Transform(fresh);
        return new Outputs(u.ToArray(), embedded, transformed, input.Gradient);
    }

    /// <summary>
    /// Runs <paramref name="threads"/> workers at once on <paramref name="device"/>, each <paramref name="rounds"/> times, on
    /// threads of their own released together; returns each worker's outputs per round. A worker's exception fails the test
    /// (it is observed through its task, not left to kill the test host).
    /// </summary>
    private static Outputs[][] Concurrently(ComputeDevice device, int threads, int rounds, int n)
    {
        using var start = new Barrier(threads);
        var tasks = Enumerable.Range(0, threads).Select(worker => Task.Factory.StartNew(() =>
        {
            start.SignalAndWait();
            return Enumerable.Range(0, rounds).Select(_ => Work(device, worker, n)).ToArray();
        }, TaskCreationOptions.LongRunning)).ToArray();
        Task.WaitAll(tasks);
        return tasks.Select(t => t.Result).ToArray();
    }

    /// <summary>Each worker's outputs alone, in turn, then <paramref name="threads"/> workers sharing one device for <paramref name="rounds"/> rounds: identical.</summary>
    private static void AssertSharedMatchesSequential(DeviceKind kind, int threads, int rounds, int n)
    {
        using var device = ComputeDevice.Create(kind);
        var alone = Enumerable.Range(0, threads).Select(worker => Work(device, worker, n)).ToArray();
        AssertIdentical(Concurrently(device, threads, rounds, n), alone);
    }

    private static void AssertIdentical(Outputs[][] concurrent, Outputs[] alone)
    {
        Assert.Multiple(() =>
        {
            for (int worker = 0; worker < concurrent.Length; worker++)
                for (int round = 0; round < concurrent[worker].Length; round++)
                {
                    var (got, want, at) = (concurrent[worker][round], alone[worker], $"worker {worker}, round {round}");
                    Assert.That(got.Exact, Is.EqualTo(want.Exact), $"{at}: Ncut");
                    Assert.That(got.Nystrom, Is.EqualTo(want.Nystrom), $"{at}: NystromNcut fit");
                    Assert.That(got.Transformed, Is.EqualTo(want.Transformed), $"{at}: NystromNcut transform");
                    Assert.That(got.Gradient, Is.EqualTo(want.Gradient), $"{at}: gradient");
                }
        });
    }

    [Test]
    public void IlgpuDevice_SharedByThreads_MatchesSequentialRuns() =>
        AssertSharedMatchesSequential(DeviceKind.IlgpuCpu, threads: 2, rounds: 2, n: 80);

    [Test]
    public void ManagedDevice_SharedByThreads_MatchesSequentialRuns() =>
        AssertSharedMatchesSequential(DeviceKind.Cpu, threads: 6, rounds: 10, n: 160);

    /// <summary>
    /// A thread fits (Ncut, then a Nyström fit kept on the device) in a loop that only an exception ends; once its first round
    /// is done the device is disposed from this thread. The loop must end with <see cref="ObjectDisposedException"/> — the
    /// operation in flight finishes or the next one refuses — never another exception, a hang or a crash; afterwards a
    /// backend reference held from before refuses too, matrices disposed after the device do nothing, reading them throws
    /// <see cref="ObjectDisposedException"/>, and a second Dispose does nothing.
    /// </summary>
    [TestCase(DeviceKind.IlgpuCpu)]
    [TestCase(DeviceKind.Cpu)]
    public void DisposingTheDevice_WhileAnotherThreadUsesIt_EndsThatThreadWithObjectDisposed(DeviceKind kind)
    {
        var device = ComputeDevice.Create(kind);
        var x = TestData.ToFloat(TestData.Blobs(40, 8, 2, separation: 5, seed: 300));
        var kept = DeviceMatrix<float>.Upload(device, x);
        var backend = device.Backend;
        var options = new NcutOptions { EigenvectorCount = 2 };
        using var firstRound = new ManualResetEventSlim();
        var user = Task.Factory.StartNew(() =>
        {
            while (true)
            {
                new Ncut(device, options).FitTransform(x);
                using var nystrom = new NystromNcut(device, options, new NystromOptions { Path = EmbeddingPath.Nystrom });
                nystrom.FitTransform(x);
                firstRound.Set();
            }
        }, TaskCreationOptions.LongRunning);
        Assert.That(firstRound.Wait(TimeSpan.FromMinutes(3)), Is.True, $"first round: {user.Exception}");
        var disposal = Task.Run(device.Dispose);
        Assert.That(disposal.Wait(TimeSpan.FromMinutes(3)), Is.True, "Dispose returns");
        Assert.That(Task.WhenAny(user, Task.Delay(TimeSpan.FromMinutes(3))).Result, Is.SameAs(user), "the user thread ends");
        Assert.That(user.Exception!.InnerException, Is.InstanceOf<ObjectDisposedException>(), user.Exception.ToString());
        Assert.That(() => kept.Download(), Throws.InstanceOf<ObjectDisposedException>());
        Assert.That(backend.Synchronize, Throws.InstanceOf<ObjectDisposedException>(), "a backend held from before");
        Assert.That(kept.Dispose, Throws.Nothing);
        Assert.That(device.Dispose, Throws.Nothing);
        Assert.That(device.IsDisposed, Is.True);
    }
}
