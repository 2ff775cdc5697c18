// BlockLanczos: top-k eigenpairs of a symmetric matrix by thick-restarted block Lanczos with full reorthogonalization — one algorithm kept in one file (its iteration, restart and refill steps share the basis state and read best together).
using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using NcutKernels.Backends;
using NcutKernels.Backends.Managed;
using NcutKernels.Runtime;

namespace NcutKernels.Solvers;

/// <summary>
/// Block Lanczos with full (classical Gram–Schmidt, twice) reorthogonalization, Rayleigh–Ritz on the
/// explicitly projected matrix T = Qᵀ·M·Q (host, float64 Householder + QL) and thick restart keeping the best
/// Ritz vectors. A block of b vectors finds eigenvalues of multiplicity up to b (c disconnected
/// components give eigenvalue 1 c times); exhausted directions are refilled with seeded random vectors.
/// Stops when the explicit residual ‖M·u − λ·u‖ of every wanted pair meets the tolerance.
/// </summary>
internal sealed class BlockLanczos<T> : IDisposable where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly ComputeDevice _device;
    private readonly Backend _be;
    private readonly DeviceMatrix<T> _m;
    private readonly int _n, _k, _b, _maxBasis;
    private ulong _randomState;
    private readonly double _dropTol;
    private DeviceMatrix<T> _q, _mq, _qAlt, _mqAlt;
    private readonly DeviceMatrix<T> _c, _tmp, _mu;
    private readonly System.Diagnostics.Stopwatch _total = new(), _products = new(), _hostEigen = new(), _vectorOps = new();

    private BlockLanczos(ComputeDevice device, DeviceMatrix<T> m, int k, int seed)
    {
        _device = device;
        _be = device.Backend;
        _m = m;
        _n = m.Rows;
        _k = k;
        (_b, _maxBasis) = Shape(_n, k);
        _randomState = Golden ^ (ulong)(uint)seed;
        _dropTol = 16 * double.CreateChecked(Eps);
        _q = DeviceMatrix<T>.Allocate(device, _maxBasis, _n);
        _mq = DeviceMatrix<T>.Allocate(device, _maxBasis, _n);
        _qAlt = DeviceMatrix<T>.Allocate(device, _maxBasis, _n);
        _mqAlt = DeviceMatrix<T>.Allocate(device, _maxBasis, _n);
        _c = DeviceMatrix<T>.Allocate(device, _b, _n);
        _tmp = DeviceMatrix<T>.Allocate(device, Math.Max(_b, k), _n);
        _mu = DeviceMatrix<T>.Allocate(device, k, _n);
    }

    private double[,] Inner(Block<T> a, Block<T> b)
    {
        _vectorOps.Start();
        var g = _be.InnerProducts(a, b);
        _vectorOps.Stop();
        return g;
    }

    private void Combine(Block<T> dst, double beta, Block<T> a, double[,] s)
    {
        _vectorOps.Start();
        _be.Combine(dst, beta, a, s);
        _vectorOps.Stop();
    }

    private void Copy(Block<T> src, Block<T> dst)
    {
        _vectorOps.Start();
        _be.Copy(src, dst);
        _vectorOps.Stop();
    }

    private (double[] values, double[,] vectors) HostEigen(double[,] a)
    {
        _hostEigen.Start();
        var result = SymmetricEigen.Decompose(a);
        _hostEigen.Stop();
        return result;
    }

    /// <summary>From this many wanted pairs on, blocks of <see cref="WideBlock"/> vectors.</summary>
    private const int WideFrom = 64, WideBlock = 32;

    private static T Eps => typeof(T) == typeof(float) ? T.CreateChecked(1.1920929e-7) : T.CreateChecked(2.220446049250313e-16);

    /// <summary>
    /// Block size and largest basis for n and k: b = k within [4, 16], and 32 from k = 64 on — each iteration costs host round
    /// trips (inner products, a Rayleigh–Ritz solve), so many wanted pairs go in fewer, wider iterations (k = 100 on a
    /// 10240-landmark graph: 4 block products of 32 instead of 7 of 16, measured on the managed CPU backend).
    /// </summary>
    internal static (int block, int maxBasis) Shape(int n, int k)
    {
        int b = k >= WideFrom ? WideBlock : Math.Clamp(k, 4, 16);
        int basis = k + Math.Max(2 * k, 48);
        basis = (basis + b - 1) / b * b;
        return (b, basis);
    }

    /// <summary>True when n is so small that a dense host solve is cheaper and exact.</summary>
    internal static bool UseDense(int n, int k)
    {
        var (b, basis) = Shape(n, k);
        return n <= 2 * (basis + b);
    }

    /// <summary>
    /// Top-k eigenpairs of the symmetric <paramref name="m"/>: eigenvalues descending, eigenvectors as
    /// rows of a k×n row-major array, and the report.
    /// </summary>
    public static (double[] values, T[] vectors, LanczosReport report) Solve(
        ComputeDevice device, DeviceMatrix<T> m, int k, double tolerance, int seed, int maxBlockProducts, Action<string>? progress = null)
    {
        var (values, vectors, report, _) = SolveWithNext(device, m, k, tolerance, seed, maxBlockProducts, progress);
        return (values, vectors, report);
    }

    /// <summary>
    /// <see cref="Solve"/>, plus θ_{k+1}: the largest Ritz value below the k wanted ones in the final basis (the exact
    /// λ_{k+1} on the dense path; NaN when the basis holds only k vectors), for the backward pass's gap estimate.
    /// </summary>
    public static (double[] values, T[] vectors, LanczosReport report, double next) SolveWithNext(
        ComputeDevice device, DeviceMatrix<T> m, int k, double tolerance, int seed, int maxBlockProducts, Action<string>? progress = null)
    {
        if (UseDense(m.Rows, k))
            return SolveDense(m, k, tolerance);
        using var solver = new BlockLanczos<T>(device, m, k, seed);
        var (values, report, next) = solver.Run(tolerance, maxBlockProducts, progress);
        return (values, solver.DownloadVectors(), report, next);
    }

    /// <summary>
    /// As <see cref="Solve"/>, with the eigenvectors left on the device: a new k×n <see cref="DeviceMatrix{T}"/> (row j =
    /// eigenvector j; the caller disposes it), the same values as <see cref="Solve"/> would download.
    /// </summary>
    public static (double[] values, DeviceMatrix<T> vectors, LanczosReport report) SolveOnDevice(
        ComputeDevice device, DeviceMatrix<T> m, int k, double tolerance, int seed, int maxBlockProducts, Action<string>? progress = null)
    {
        if (UseDense(m.Rows, k))
        {
            var (dense, u, denseReport, _) = SolveDense(m, k, tolerance);
            return (dense, DeviceMatrix<T>.Upload(device, u, k, m.Rows), denseReport);
        }
        using var solver = new BlockLanczos<T>(device, m, k, seed);
        var (values, report, _) = solver.Run(tolerance, maxBlockProducts, progress);
        var vectors = DeviceMatrix<T>.Allocate(device, k, m.Rows);
        try
        {
            solver._be.Copy(solver._tmp.RowRange(0, k), vectors.All);
        }
        catch
        {
            vectors.Dispose();
            throw;
        }
        return (values, vectors, report);
    }

    /// <summary>Runs to convergence (or the product budget): returns the k values, the report and θ_{k+1}; the eigenvectors are left in rows 0..k−1 of _tmp.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private (double[], LanczosReport, double) Run(double tol, int maxProducts, Action<string>? progress)
    {
        _total.Start();
        int cols = 0, products = 0, restarts = 0;
        var t = new double[_maxBasis, _maxBasis];
        FillRandom(_c.RowRange(0, _b), 0, _b);
        Orthonormalize(0);
        Copy(_c.RowRange(0, _b), _q.RowRange(0, _b));
        cols = _b;
        double[] theta;
        double[,] y;
        while (true)
        {
            var qNew = _q.RowRange(cols - _b, _b);
            var mqNew = _mq.RowRange(cols - _b, _b);
            _products.Start();
            _be.SymmetricProduct(_m, qNew, mqNew);
            _products.Stop();
            products++;
            var h = Inner(_q.RowRange(0, cols), mqNew);
            for (int r = 0; r < cols; r++)
                for (int c = 0; c < _b; c++)
                {
                    int cc = cols - _b + c;
                    double v = r >= cols - _b ? 0.5 * (h[r, c] + h[cols - _b + c, r - (cols - _b)]) : h[r, c];
                    t[r, cc] = t[cc, r] = v;
                }
            (theta, y) = cols >= _k ? HostEigen(Sub(t, cols)) : (Array.Empty<double>(), new double[cols, 0]);

            // Next block: the part of M·Q_new outside span(Q), which also carries every Ritz residual.
            // (Orthonormalize projects against Q once more: classical Gram–Schmidt, twice.)
            Copy(mqNew, _c.RowRange(0, _b));
            Combine(_c.RowRange(0, _b), 1, _q.RowRange(0, cols), Negate(h));
            var bFactor = Orthonormalize(cols);

            // Fewer basis vectors than wanted pairs: nothing to test yet.
            double estimate = cols < _k ? double.PositiveInfinity : 0;
            for (int j = 0; j < (cols >= _k ? _k : 0); j++)
            {
                double s = 0;
                for (int r = 0; r < _b; r++)
                {
                    double acc = 0;
                    for (int c = 0; c < _b; c++)
                        acc += bFactor[r, c] * y[cols - _b + c, j];
                    s += acc * acc;
                }
                estimate = Math.Max(estimate, Math.Sqrt(s));
            }
            bool exhausted = products >= maxProducts && cols >= _k;
            if (estimate <= tol || exhausted)
            {
                var residuals = ExplicitResiduals(cols, theta, y);
                double worst = residuals.Max();
                progress?.Invoke($"lanczos: {products} block products, basis {cols}, max residual {worst:E2}");
                if (worst <= tol || exhausted)
                {
                    var report = new LanczosReport(products, restarts, _b, _maxBasis, residuals, tol, false,
                        _total.Elapsed.TotalMilliseconds, _products.Elapsed.TotalMilliseconds, _hostEigen.Elapsed.TotalMilliseconds, _vectorOps.Elapsed.TotalMilliseconds)
                    { Values = theta[.._k], NextValue = cols > _k ? theta[_k] : double.NaN };
                    return (theta[.._k], report, cols > _k ? theta[_k] : double.NaN);
                }
            }
            if (cols + _b > _maxBasis)
            {
                // Keep the best Ritz vectors and room for three more blocks before the next restart.
                int keep = Math.Max(_k, _maxBasis - 3 * _b);
                var yKeep = Columns(y, cols, keep);
                Combine(_qAlt.RowRange(0, keep), 0, _q.RowRange(0, cols), yKeep);
                Combine(_mqAlt.RowRange(0, keep), 0, _mq.RowRange(0, cols), yKeep);
                (_q, _qAlt) = (_qAlt, _q);
                (_mq, _mqAlt) = (_mqAlt, _mq);
                Array.Clear(t);
                for (int i = 0; i < keep; i++)
                    t[i, i] = theta[i];
                cols = keep;
                restarts++;
                if (restarts % 10 == 0)
                    progress?.Invoke($"lanczos: {products} block products, {restarts} restarts, residual estimate {estimate:E2}");
            }
            Copy(_c.RowRange(0, _b), _q.RowRange(cols, _b));
            cols += _b;
        }
    }

    /// <summary>
    /// Orthonormalizes the b rows of C (already orthogonal to Q[0..cols)) in place, refilling directions
    /// whose norm is at rounding level with random vectors. Returns B with C_before = C_after·B.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private double[,] Orthonormalize(int cols)
    {
        var c = _c.RowRange(0, _b);
        var tmp = _tmp.RowRange(0, _b);
        var (s2, w) = HostEigen(Inner(c, c));
        var scale = new double[_b, _b];
        var b1 = new double[_b, _b];
        // s2 is sorted descending, so the directions at rounding level form a suffix [kept, b).
        int kept = 0;
        for (int i = 0; i < _b; i++)
        {
            double sigma = Math.Sqrt(Math.Max(s2[i], 0));
            if (sigma <= _dropTol)
                break;
            kept = i + 1;
            for (int r = 0; r < _b; r++)
            {
                scale[r, i] = w[r, i] / sigma;
                b1[i, r] = sigma * w[r, i];
            }
        }
        Combine(tmp, 0, c, scale);
        int dropped = _b - kept;
        if (dropped > 0)
            FillRandom(tmp, kept, dropped);
        ProjectOutBasis(tmp, cols, dropped > 0);
        // Second pass: symmetric (Löwdin) orthonormalization, C = tmp·G^-1/2, B = G^1/2·B1.
        var (g, v) = HostEigen(Inner(tmp, tmp));
        if (g[_b - 1] < CollapsedNormSquared)
        {
            b1 = DropCollapsed(cols, g, v, b1);
            (g, v) = HostEigen(Inner(tmp, tmp));
            if (g[_b - 1] < CollapsedNormSquared)
                throw new ArithmeticException($"Block Lanczos could not extend its basis of {cols} vectors in dimension {_n}: " +
                    $"random refills lost all but {Math.Sqrt(Math.Max(g[_b - 1], 0)):E2} of their norm to it.");
        }
        var invSqrt = new double[_b, _b];
        var sqrtG = new double[_b, _b];
        for (int r = 0; r < _b; r++)
            for (int q = 0; q < _b; q++)
            {
                double a = 0, s = 0;
                for (int e = 0; e < _b; e++)
                {
                    double ge = Math.Max(g[e], 1e-300);
                    a += v[r, e] * v[q, e] / Math.Sqrt(ge);
                    s += v[r, e] * v[q, e] * Math.Sqrt(ge);
                }
                invSqrt[r, q] = a;
                sqrtG[r, q] = s;
            }
        Combine(c, 0, tmp, invSqrt);
        return Multiply(sqrtG, b1);
    }

    /// <summary>
    /// The Gram–Schmidt passes of the rows of tmp against Q[0..cols): the second pass, which also removes what scaling by 1/σ
    /// magnified along Q; random refills start with full components along Q and get a third.
    /// </summary>
    private void ProjectOutBasis(Block<T> tmp, int cols, bool refilled)
    {
        if (cols == 0)
            return;
        Combine(tmp, 1, _q.RowRange(0, cols), Negate(Inner(_q.RowRange(0, cols), tmp)));
        if (refilled)
            Combine(tmp, 1, _q.RowRange(0, cols), Negate(Inner(_q.RowRange(0, cols), tmp)));
    }

    /// <summary>
    /// Below this squared norm a direction of the projected block has lost most of itself to Q: its first-pass σ was rounding
    /// (a Gram eigenvalue of C resolves σ only down to about √(b·ε)·σ_max, so σ a little above the drop tolerance can be noise).
    /// </summary>
    private const double CollapsedNormSquared = 0.25;

    /// <summary>
    /// For a block whose Gram matrix G = V·diag(g)·Vᵀ (descending g) has directions below <see cref="CollapsedNormSquared"/>:
    /// keeps the others, orthonormal (tmp·V/√g), in rows [0, good) of tmp, refills the rest with seeded random vectors
    /// projected against Q, and returns B1 for the kept rows (√g_e·V_eᵀ·B1; zero for the refills: what the collapsed
    /// directions carried was rounding).
    /// </summary>
    private double[,] DropCollapsed(int cols, double[] g, double[,] v, double[,] b1)
    {
        var tmp = _tmp.RowRange(0, _b);
        int good = 0;
        while (good < _b && g[good] >= CollapsedNormSquared)
            good++;
        var rotation = new double[_b, _b];
        var kept = new double[_b, _b];
        for (int e = 0; e < good; e++)
        {
            double root = Math.Sqrt(g[e]);
            for (int r = 0; r < _b; r++)
                rotation[r, e] = v[r, e] / root;
            for (int col = 0; col < _b; col++)
            {
                double acc = 0;
                for (int r = 0; r < _b; r++)
                    acc += v[r, e] * b1[r, col];
                kept[e, col] = root * acc;
            }
        }
        var c = _c.RowRange(0, _b);
        Combine(c, 0, tmp, rotation);
        Copy(c, tmp);
        FillRandom(tmp, good, _b - good);
        ProjectOutBasis(tmp, cols, refilled: true);
        return kept;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private double[] ExplicitResiduals(int cols, double[] theta, double[,] y)
    {
        var yk = Columns(y, cols, _k);
        var u = _tmp.RowRange(0, _k);
        var mu = _mu;
        Combine(u, 0, _q.RowRange(0, cols), yk);
        Combine(mu.All, 0, _mq.RowRange(0, cols), yk);
        var diag = new double[_k, _k];
        for (int j = 0; j < _k; j++)
            diag[j, j] = -theta[j];
        Combine(mu.All, 1, u, diag);
        var g = Inner(mu.All, mu.All);
        return Enumerable.Range(0, _k).Select(j => Math.Sqrt(Math.Max(g[j, j], 0))).ToArray();
    }

    private T[] DownloadVectors()
    {
        var result = new T[(long)_k * _n];
        _tmp.Storage.Download(result, 0);
        return result;
    }

    /// <summary>
    /// Rows [first, first + count) of the block = seeded random unit vectors, uploaded in one transfer: uniform
    /// entries from SplitMix64 (any direction with components along every eigenvector will do). SplitMix64's j-th
    /// output depends only on the start state and j, so the rows are drawn on parallel workers into pooled buffers
    /// and give the same bits as one sequential stream (H200 host: a block of 32 × 10240 took 4 ms serially, and
    /// refills of exhausted directions made it 16 ms of a k = 100 solve).
    /// </summary>
    private void FillRandom(Block<T> block, int first, int count)
    {
        long length = (long)count * _n;
        if (length > Array.MaxLength)
            throw new InvalidOperationException($"{count} random vectors of length {_n} exceed one host array; use a smaller block.");
        var v = ArrayPool<T>.Shared.Rent((int)length);
        try
        {
            _randomState = UnitRows(_randomState, count, _n, v);
            block.Matrix.Storage.Upload(v.AsSpan(0, (int)length), block.Offset + (long)first * _n);
        }
        finally
        {
            ArrayPool<T>.Shared.Return(v);
        }
    }

    /// <summary>
    /// Rows 0..count−1 of <paramref name="destination"/> (row-major, n columns) = the next count·n outputs of SplitMix64 from
    /// state <paramref name="start"/>, mapped to [−½, ½) and each row scaled to unit length (in float64, then rounded to T).
    /// Output j uses state start + (j + 1)·γ alone, so rows go to parallel workers and give the bits of one sequential stream.
    /// Returns the state after the count·n outputs (where the next draw starts).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static ulong UnitRows(ulong start, int count, int n, T[] destination)
    {
        if ((long)count * n > destination.Length)
            throw new ArgumentException($"{count}×{n} values do not fit {destination.Length}.", nameof(destination));
        Parallel.For(0, count, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (r) =>
        {
            var raw = ArrayPool<double>.Shared.Rent(n);
            try
            {
                ulong state = unchecked(start + (ulong)((long)r * n) * Golden);
                for (int i = 0; i < n; i++)
                {
                    ulong z = state = unchecked(state + Golden);
                    z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
                    z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
                    raw[i] = (z ^ (z >> 31)) * (1.0 / 18446744073709551616.0) - 0.5;
                }
                var row = raw.AsSpan(0, n);
                double norm = Math.Sqrt(SimdMath.Dot<double>(row, row));
                var dst = destination.AsSpan(r * n, n);
                for (int i = 0; i < n; i++)
                    dst[i] = T.CreateChecked(row[i] / norm);
            }
            finally
            {
                ArrayPool<double>.Shared.Return(raw);
            }
        });
        return unchecked(start + (ulong)((long)count * n) * Golden);
    }

    /// <summary>SplitMix64's state increment (2⁶⁴ / φ).</summary>
    private const ulong Golden = 0x9E3779B97F4A7C15UL;

    private static (double[], T[], LanczosReport, double) SolveDense(DeviceMatrix<T> m, int k, double tol)
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        int n = m.Rows;
        var host = new T[(long)n * n];
        m.Download(host);
        var a = new double[n, n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                a[i, j] = 0.5 * (double.CreateChecked(host[i * n + j]) + double.CreateChecked(host[j * n + i]));
        var (values, vectors) = SymmetricEigen.Decompose(a);
        var u = new T[(long)k * n];
        var residuals = new double[k];
        for (int j = 0; j < k; j++)
        {
            for (int i = 0; i < n; i++)
                u[j * n + i] = T.CreateChecked(vectors[i, j]);
            double s = 0;
            for (int i = 0; i < n; i++)
            {
                double r = -values[j] * vectors[i, j];
                for (int l = 0; l < n; l++)
                    r += a[i, l] * vectors[l, j];
                s += r * r;
            }
            residuals[j] = Math.Sqrt(s);
        }
        double ms = sw.Elapsed.TotalMilliseconds;
        return (values[..k], u, new LanczosReport(0, 0, 0, n, residuals, tol, true, ms, 0, ms, 0) { Values = values[..k], NextValue = values[k] }, values[k]);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double[,] Sub(double[,] t, int size)
    {
        var s = new double[size, size];
        for (int i = 0; i < size; i++)
            for (int j = 0; j < size; j++)
                s[i, j] = t[i, j];
        return s;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double[,] Columns(double[,] y, int rows, int count)
    {
        var s = new double[rows, count];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < count; j++)
                s[i, j] = y[i, j];
        return s;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double[,] Negate(double[,] h)
    {
        var s = new double[h.GetLength(0), h.GetLength(1)];
        for (int i = 0; i < h.GetLength(0); i++)
            for (int j = 0; j < h.GetLength(1); j++)
                s[i, j] = -h[i, j];
        return s;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double[,] Multiply(double[,] a, double[,] b)
    {
        int p = a.GetLength(0), q = b.GetLength(1), r = a.GetLength(1);
        var s = new double[p, q];
        for (int i = 0; i < p; i++)
            for (int j = 0; j < q; j++)
            {
                double acc = 0;
                for (int l = 0; l < r; l++)
                    acc += a[i, l] * b[l, j];
                s[i, j] = acc;
            }
        return s;
    }

    public void Dispose()
    {
        _q.Dispose();
        _mq.Dispose();
        _qAlt.Dispose();
        _mqAlt.Dispose();
        _c.Dispose();
        _tmp.Dispose();
        _mu.Dispose();
    }
}
