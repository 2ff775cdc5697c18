// SigmaWalk: the σ subset's farthest-point walk in the 8-d projection — SIMD lanes, fixed column blocks on workers that meet once a step.
using System.Numerics;
using System.Runtime.CompilerServices;

namespace NcutKernels.Spectral;

/// <summary>
/// Greedy farthest-point walk over the columns of yt (8 × stride, c real columns): starts at column 0; each step picks the
/// column whose squared distance (Σ_e (y_e − c_e)² in e order, float64) to its nearest picked column is largest, ties to the
/// lowest index. The columns are the vector lanes, so every distance is the scalar loop's bit for bit. The columns are cut into
/// fixed contiguous blocks, one per worker thread; each step every worker updates its block and posts the block's largest
/// distance (lowest index on ties), then all meet at a barrier and take the first block's post among the largest: the picks
/// do not depend on the number of workers.
/// </summary>
internal static class SigmaWalk
{
    /// <summary>
    /// Fewest columns per worker: a step's share must outweigh the barrier (measured on 2 vCPUs: about 0.2–0.5 µs a step,
    /// while 1000 columns take about 1 µs), so 1024 candidates walk serially and 4000 on up to 4 workers.
    /// </summary>
    public const int MinColumnsPerWorker = 1000;

    /// <summary>The first <paramref name="count"/> picks of the walk over yt's c columns, on <see cref="DefaultWorkers"/> workers.</summary>
    public static int[] Walk(double[] yt, int c, int stride, int count) => Walk(yt, c, stride, count, DefaultWorkers(c));

    /// <summary>
    /// Workers for c columns: at most half the logical processors (one per core where cores run two threads), each with
    /// ≥ <see cref="MinColumnsPerWorker"/> columns.
    /// </summary>
    public static int DefaultWorkers(int c) => Math.Max(1, Math.Min(Environment.ProcessorCount / 2, c / MinColumnsPerWorker));

    /// <summary>
    /// The first <paramref name="count"/> picks on <paramref name="workers"/> workers (at most one per vector of columns): the caller
    /// runs the first block, dedicated threads the others (they must run at the same time, which pool threads do not promise).
    /// </summary>
    public static int[] Walk(double[] yt, int c, int stride, int count, int workers)
    {
        workers = Math.Clamp(workers, 1, stride / Vector<double>.Count);
        var walk = new Steps(yt, c, stride, count, workers);
        var threads = new List<Thread>(workers - 1);
        try
        {
            for (int b = 1; b < workers; b++)
            {
                int block = b;
                var thread = new Thread(() => walk.RunWorker(block)) { IsBackground = true, Name = "σ walk" };
                thread.Start();
                threads.Add(thread);
            }
            walk.Run(0);
        }
        catch
        {
            // A failure on this thread (or a worker's, rethrown here) releases the others from the barrier.
            walk.Abort(null);
            throw;
        }
        finally
        {
            foreach (var thread in threads)
                thread.Join();
        }
        return walk.Chosen;
    }

    /// <summary>The walk's shared state: distances, each block's post (two sets, by step parity) and the barrier.</summary>
    private sealed class Steps
    {
        private readonly double[] _yt, _dist;
        private readonly int _stride, _count, _workers;
        private readonly double[] _postValue;
        private readonly int[] _postIndex;
        private int _waiting;
        private volatile int _generation;
        private volatile bool _aborted;
        private Exception? _error;

        /// <summary>The picks, filled by block 0.</summary>
        public int[] Chosen { get; }

        public Steps(double[] yt, int c, int stride, int count, int workers)
        {
            (_yt, _stride, _count, _workers) = (yt, stride, count, workers);
            _dist = new double[stride];
            Array.Fill(_dist, double.PositiveInfinity, 0, c);
            Array.Fill(_dist, double.NegativeInfinity, c, stride - c);
            _postValue = new double[2 * workers];
            _postIndex = new int[2 * workers];
            _waiting = workers;
            Chosen = new int[count];
        }

        /// <summary>Stops every worker at its next barrier; <paramref name="error"/> (a worker's) is rethrown to the caller's thread.</summary>
        public void Abort(Exception? error)
        {
            if (error is not null)
                Interlocked.CompareExchange(ref _error, error, null);
            _aborted = true;
        }

        /// <summary><see cref="Run"/> on a dedicated thread: an exception aborts the walk instead of ending the process.</summary>
        public void RunWorker(int b)
        {
            try
            {
                Run(b);
            }
            catch (Exception e)
            {
                Abort(e is OperationCanceledException ? null : e);
            }
        }

        /// <summary>All steps for block b (columns [b·V/W, (b+1)·V/W) vectors of V, W workers).</summary>
        public void Run(int b)
        {
            int w = Vector<double>.Count, vectors = _stride / w;
            int from = (int)((long)vectors * b / _workers) * w, to = (int)((long)vectors * (b + 1) / _workers) * w;
            int current = 0;
            for (int s = 0; s < _count; s++)
            {
                if (b == 0)
                    Chosen[s] = current;
                int slot = (s & 1) * _workers;
                (_postValue[slot + b], _postIndex[slot + b]) = Block(current, from, to);
                Arrive();
                current = _postIndex[slot];
                double best = _postValue[slot];
                for (int o = 1; o < _workers; o++)
                    if (_postValue[slot + o] > best)
                        (best, current) = (_postValue[slot + o], _postIndex[slot + o]);
            }
        }

        /// <summary>Waits until every worker has posted this step (the last to arrive opens the next generation).</summary>
        private void Arrive()
        {
            if (_workers == 1)
                return;
            int generation = _generation;
            if (Interlocked.Decrement(ref _waiting) == 0)
            {
                _waiting = _workers;
                _generation = generation + 1;
                return;
            }
            var spin = new SpinWait();
            while (_generation == generation)
            {
                if (_aborted)
                    throw _error is { } error
                        ? new InvalidOperationException("The σ subset walk failed on a worker thread.", error)
                        : new OperationCanceledException("The σ subset walk was aborted.");
                spin.SpinOnce(sleep1Threshold: -1);
            }
        }

        /// <summary>
        /// Updates the nearest-distances of columns [from, to) with the pick <paramref name="current"/>; returns their largest
        /// (lowest index on ties).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private (double Value, int Index) Block(int current, int from, int to)
        {
            int w = Vector<double>.Count, stride = _stride;
            ref double y0 = ref _yt[0];
            ref double dist0 = ref _dist[0];
            var c0 = new Vector<double>(Unsafe.Add(ref y0, current));
            var c1 = new Vector<double>(Unsafe.Add(ref y0, stride + current));
            var c2 = new Vector<double>(Unsafe.Add(ref y0, 2 * stride + current));
            var c3 = new Vector<double>(Unsafe.Add(ref y0, 3 * stride + current));
            var c4 = new Vector<double>(Unsafe.Add(ref y0, 4 * stride + current));
            var c5 = new Vector<double>(Unsafe.Add(ref y0, 5 * stride + current));
            var c6 = new Vector<double>(Unsafe.Add(ref y0, 6 * stride + current));
            var c7 = new Vector<double>(Unsafe.Add(ref y0, 7 * stride + current));
            ref double y1 = ref Unsafe.Add(ref y0, stride), y2 = ref Unsafe.Add(ref y0, 2 * stride), y3 = ref Unsafe.Add(ref y0, 3 * stride);
            ref double y4 = ref Unsafe.Add(ref y0, 4 * stride), y5 = ref Unsafe.Add(ref y0, 5 * stride);
            ref double y6 = ref Unsafe.Add(ref y0, 6 * stride), y7 = ref Unsafe.Add(ref y0, 7 * stride);
            var bestValue = new Vector<double>(double.NegativeInfinity);
            var bestIndex = Vector<long>.Zero;
            var step = new Vector<long>(w);
            var index = Vector<long>.Indices + new Vector<long>(from);
            for (nuint r = (nuint)from; r < (nuint)to; r += (nuint)w, index += step)
            {
                var t = Vector.LoadUnsafe(ref y0, r) - c0;
                var dd = t * t;
                t = Vector.LoadUnsafe(ref y1, r) - c1;
                dd += t * t;
                t = Vector.LoadUnsafe(ref y2, r) - c2;
                dd += t * t;
                t = Vector.LoadUnsafe(ref y3, r) - c3;
                dd += t * t;
                t = Vector.LoadUnsafe(ref y4, r) - c4;
                dd += t * t;
                t = Vector.LoadUnsafe(ref y5, r) - c5;
                dd += t * t;
                t = Vector.LoadUnsafe(ref y6, r) - c6;
                dd += t * t;
                t = Vector.LoadUnsafe(ref y7, r) - c7;
                dd += t * t;
                var old = Vector.LoadUnsafe(ref dist0, r);
                var nearest = Vector.ConditionalSelect(Vector.LessThan(dd, old), dd, old);
                nearest.StoreUnsafe(ref dist0, r);
                var better = Vector.GreaterThan(nearest, bestValue);
                bestValue = Vector.ConditionalSelect(better, nearest, bestValue);
                bestIndex = Vector.ConditionalSelect(better, index, bestIndex);
            }
            double value = bestValue[0];
            long arg = bestIndex[0];
            for (int lane = 1; lane < w; lane++)
                if (bestValue[lane] > value || (bestValue[lane] == value && bestIndex[lane] < arg))
                    (value, arg) = (bestValue[lane], bestIndex[lane]);
            return (value, (int)arg);
        }
    }
}
