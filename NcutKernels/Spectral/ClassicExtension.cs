// ClassicExtension: the classic Nyström extension as a propagation method — its preparation (over every landmark, or a landmark subset fitted by least squares), its device pass and its taped op.
using System.Numerics;
using NcutKernels.Autodiff;
using NcutKernels.Backends;
using NcutKernels.Core;
using NcutKernels.Ops;
using NcutKernels.Runtime;

namespace NcutKernels.Spectral;

/// <summary>
/// <see cref="NystromPropagation.Classic"/>: u(x) = Σ_j w(x, l_j)·u_j/(λ·√d_j) / √(Σ_j w(x, l_j)) over every landmark, or over a
/// seeded landmark subset with weights fitted by least squares to the all-landmark extension at the landmarks
/// (<see cref="NystromOptions.ClassicLandmarks"/>, <see cref="SubsetExtension"/>; docs/MATH.md §7). RBF only.
/// </summary>
internal sealed class ClassicExtension(ComputeDevice device, NcutOptions options, NystromOptions nystrom) : PropagationMethod(device, options, nystrom)
{
    /// <summary>Mixed into the seed for the classic extension's subset, so that it is not drawn by the same stream as the landmarks.</summary>
    private const int ClassicSeedSalt = 0x51ED2705;

    /// <summary>The classic extension divides by λ; eigenvalues below this are floored (a vanishing λ carries no signal to extend).</summary>
    private const double ClassicEigenvalueFloor = NystromOps.EigenvalueFloor;

    /// <summary>The subset sizes to try for a fit on n = <paramref name="points"/> with m landmarks, ascending; empty: every landmark.</summary>
    private int[] SubsetSizes(int points, int m)
    {
        int cap = Nystrom.ClassicLandmarkCount(points, m);
        if (cap >= m)
            return [];
        if (Nystrom.ClassicLandmarks is not null)
            return [cap];
        // cap ≥ min(m, 1024) here, so with cap < m at least the first size fits.
        return SubsetExtension.DefaultSizes.Where(s => s <= cap && s < m).ToArray();
    }

    /// <summary>
    /// The first <paramref name="count"/> positions of a seeded random order of the m landmarks: the subset of size s is the
    /// first s of them, so the sizes tried are nested (constant: no gradient).
    /// </summary>
    private int[] SubsetOrder(int m, int count) => UniformSampling.Draw(m, count, unchecked(Options.Seed ^ ClassicSeedSalt));

    /// <summary>The rows of the raw landmark affinity <paramref name="w"/> (m×m) at the subset order's first <paramref name="count"/> positions.</summary>
    private DeviceMatrix<T> SubsetAffinityRows<T>(DeviceMatrix<T> w, int count) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rows = DeviceMatrix<T>.Allocate(Device, count, w.Cols);
        try
        {
            Device.Backend.GatherRows(w.All, SubsetOrder(w.Rows, count), rows.All);
        }
        catch
        {
            rows.Dispose();
            throw;
        }
        return rows;
    }

    /// <summary>
    /// What the least-squares subset fit needs from the landmark solve: the raw affinity rows W_SL of the largest candidate subset
    /// (s×m, in subset order; owned) and, once completed, the targets (k+1)×m in float64 (<see cref="Targets"/>).
    /// </summary>
    private sealed class SubsetCapture<T>(ClassicExtension method, DeviceMatrix<T> rows) : LandmarkCapture<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public DeviceMatrix<T> Rows { get; } = rows;
        public double[]? Targets { get; private set; }

        public override void Complete(DeviceMatrix<T> normalized, DeviceMatrix<T> vectors, double[] signs, double[] eigenvalues, double[] degrees) =>
            Targets = method.Targets(normalized, vectors, signs, eigenvalues, degrees);

        public override void Dispose() => Rows.Dispose();
    }

    /// <summary>
    /// The values the classic extension over every landmark takes at the landmarks, times √d, as the subset fit's targets
    /// ((k+1)×m, float64): h_c(l_j) = sign_c·(W·D^-1/2·u_c)_j/λ̃_c = sign_c·√d_j·((M·u_c)_j − shift·u_cj)/λ̃_c from one product with
    /// the normalized landmark affinity M (<paramref name="normalized"/>, shift on its diagonal) and the solver's eigenvectors
    /// (<paramref name="vectors"/>, k×m, with their column signs), and the degrees d_j in row k. Fitting these rather than
    /// √d∘u makes the subset extension approximate the all-landmark one, and M·u is a smooth function of the landmarks
    /// where the solver's u carries a rough remainder of its random start at the residual's level (amplified by 1/λ when λ is small).
    /// </summary>
    private double[] Targets<T>(DeviceMatrix<T> normalized, DeviceMatrix<T> vectors, double[] signs, double[] eigenvalues, double[] degrees)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int k = vectors.Rows, m = vectors.Cols;
        using var product = DeviceMatrix<T>.Allocate(Device, k, m);
        Device.Backend.SymmetricProduct(normalized, vectors.All, product.All);
        var (mu, u) = (new T[product.Length], new T[vectors.Length]);
        product.Download(mu);
        vectors.Download(u);
        var t = new double[(long)(k + 1) * m];
        for (int c = 0; c < k; c++)
        {
            double factor = signs[c] / Math.Max(eigenvalues[c], ClassicEigenvalueFloor);
            for (int j = 0; j < m; j++)
            {
                long at = (long)c * m + j;
                double image = double.CreateTruncating(mu[at]) - Options.DiagonalShift * double.CreateTruncating(u[at]);
                t[at] = factor * Math.Sqrt(Math.Max(degrees[j], AffinityMath.DegreeFloor)) * image;
            }
        }
        degrees.CopyTo(t, (long)k * m);
        return t;
    }

    /// <summary>
    /// The raw affinity rows of the largest subset a fit on n = <paramref name="points"/> may try (none when the extension sums
    /// over every landmark); completed with the targets after the solve.
    /// </summary>
    public override LandmarkCapture<T>? Capture<T>(DeviceMatrix<T> rawAffinity, int points)
    {
        var sizes = SubsetSizes(points, rawAffinity.Rows);
        return sizes.Length > 0 ? new SubsetCapture<T>(this, SubsetAffinityRows(rawAffinity, sizes[^1])) : null;
    }

    /// <summary>
    /// Prepares the classic extension on the device: over a landmark subset fitted by least squares when
    /// <see cref="SubsetSizes"/> offers one that passes (the capture: what the fit kept for it; recomputed
    /// when null), else over every landmark.
    /// </summary>
    public override PropagationPlan Prepare<T>(NystromFit fit, NystromResident<T> resident, LandmarkCapture<T>? capture)
    {
        int m = fit.Indices.Length;
        var sizes = SubsetSizes(fit.Points, m);
        using var inputs = sizes.Length > 0 ? (SubsetCapture<T>?)capture ?? RecomputeSubsetInputs(fit, resident, sizes[^1]) : capture as SubsetCapture<T>;
        if (sizes.Length > 0 && PrepareSubset(fit, resident, sizes, inputs!) is { } chosen)
            return chosen;
        var degrees = fit.Degrees ?? NystromOps.LandmarkDegrees(Device, resident.Features, fit.Sigma, Options.Affinity);
        return PrepareAllLandmarks(fit, resident, degrees);
    }

    /// <summary>
    /// The subset fit's inputs for a fit that did not keep them (an exact or differentiable fit's first transform): the landmark
    /// affinity once more, its rows at the subset, then normalized for the targets.
    /// </summary>
    private SubsetCapture<T> RecomputeSubsetInputs<T>(NystromFit fit, NystromResident<T> resident, int count) where T : unmanaged, IFloatingPointIeee754<T>
    {
        using var graph = NormalizedGraph<T>.Build(Device, Options, resident.Features.All, fit.Sigma);
        var degrees = new T[graph.Degrees.Length];
        graph.Degrees.Download(degrees);
        var rows = SubsetAffinityRows(graph.Matrix, count);
        try
        {
            graph.Normalize();
            var (vectors, signs) = DeviceVectors(fit, resident);
            var capture = new SubsetCapture<T>(this, rows);
            capture.Complete(graph.Matrix, vectors, signs, fit.Eigenvalues, HostArrays.Widen<T>(degrees));
            return capture;
        }
        catch
        {
            rows.Dispose();
            throw;
        }
    }

    /// <summary>The least-squares subset extension of the smallest passing size (any size when it was given explicitly), or null when none passes.</summary>
    private PropagationPlan? PrepareSubset<T>(NystromFit fit, NystromResident<T> resident, int[] sizes, SubsetCapture<T> inputs)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int m = fit.Indices.Length, k = fit.Eigenvalues.Length, largest = sizes[^1];
        var log = Options.Log;
        bool given = Nystrom.ClassicLandmarks is not null;
        using var targets = DeviceMatrix<T>.Upload(Device, HostArrays.Narrow<T>(inputs.Targets!), k + 1, m);
        foreach (int s in sizes)
        {
            var solved = SubsetExtension.Solve(Device, inputs.Rows, s, targets, inputs.Targets!);
            log?.WriteLine($"nystrom: least-squares extension over {s} of the {m} landmarks: largest relative residual {solved.MaxResidual:E2} " +
                $"(tolerance {Nystrom.ClassicTolerance:G3}{(given ? ", not applied: ClassicLandmarks given" : "")})");
            if (!given && solved.MaxResidual > Nystrom.ClassicTolerance)
                continue;
            var order = SubsetOrder(m, s);
            DeviceMatrix<T>? anchors = null, values = null;
            try
            {
                anchors = DeviceMatrix<T>.Allocate(Device, s, fit.Cols);
                Device.Backend.GatherRows(resident.Features.All, order, anchors.All);
                values = DeviceMatrix<T>.Upload(Device, HostArrays.Narrow<T>(solved.Values), s, k + 1);
                resident.SetPropagation(anchors, values);
            }
            catch
            {
                anchors?.Dispose();
                values?.Dispose();
                throw;
            }
            log?.WriteLine($"nystrom: classic extension over {s} of the {m} landmarks, least squares " +
                $"({(given ? "ClassicLandmarks" : $"n·m = {(long)fit.Points * m:E2} > {Nystrom.ClassicWork:E2} pairs")}), σ={fit.Scale.ToUser(fit.Sigma, Options.Affinity):G6}");
            return new PropagationPlan(order, Enumerable.Repeat(1.0, s).ToArray(), fit.Sigma, s, true, solved.MaxResidual);
        }
        log?.WriteLine($"nystrom: no landmark subset of up to {largest} reached the tolerance {Nystrom.ClassicTolerance:G3}: " +
            $"the classic extension sums over all {m} landmarks ({(long)fit.Points * m:E2} point–landmark pairs per fit)");
        return null;
    }

    /// <summary>The classic extension over every landmark: values [u_j/(λ·√d_j), 1] built on the device from the eigenvectors.</summary>
    private PropagationPlan PrepareAllLandmarks<T>(NystromFit fit, NystromResident<T> resident, double[] degrees) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int m = fit.Indices.Length, k = fit.Eigenvalues.Length;
        var all = Enumerable.Range(0, m).ToArray();
        DeviceMatrix<T>? values = null;
        try
        {
            // values_j = [u_j / (λ·√d_j), 1]: the propagated sums give Σ_j w·u_j/(λ√d_j) and Σ_j w = d(x) (× 1/m, undone later).
            var rowScale = new double[m];
            for (int j = 0; j < m; j++)
                rowScale[j] = 1 / Math.Sqrt(Math.Max(degrees[j], AffinityMath.DegreeFloor));
            var divisor = fit.Eigenvalues.Select(l => Math.Max(l, ClassicEigenvalueFloor)).ToArray();
            var (vectors, signs) = DeviceVectors(fit, resident);
            values = DeviceMatrix<T>.Allocate(Device, m, k + 1);
            Device.Backend.ClassicValues(vectors.All, all, rowScale, signs, divisor, values.All);
            resident.SetPropagation(null, values);
        }
        catch
        {
            values?.Dispose();
            throw;
        }
        Options.Log?.WriteLine($"nystrom: classic extension over all {m} landmarks, σ={fit.Scale.ToUser(fit.Sigma, Options.Affinity):G6}");
        return new PropagationPlan(all, Enumerable.Repeat(1.0, m).ToArray(), fit.Sigma, m, true, 0);
    }

    /// <summary>
    /// The landmark eigenvectors on the device (k×m) and their column signs: the solver's, kept since the fit, or uploaded
    /// from the host copy (signs applied already) and kept from then on.
    /// </summary>
    private (DeviceMatrix<T> vectors, double[] signs) DeviceVectors<T>(NystromFit fit, NystromResident<T> resident) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (resident.Vectors is { } kept)
            return (kept, resident.Signs!);
        int m = fit.Indices.Length, k = fit.Eigenvalues.Length;
        var host = fit.Vectors!;
        var rows = new T[(long)k * m];
        for (int j = 0; j < m; j++)
            for (int c = 0; c < k; c++)
                rows[(long)c * m + j] = T.CreateTruncating(host[(long)j * k + c]);
        resident.SetVectors(DeviceMatrix<T>.Upload(Device, rows, k, m), Enumerable.Repeat(1.0, k).ToArray());
        return (resident.Vectors!, resident.Signs!);
    }

    /// <summary>The pass: <see cref="ClassicRun{T}"/>.</summary>
    public override PropagationRun<T> Start<T>(NystromResident<T> resident, PropagationPlan plan, int chunkRows) =>
        new ClassicRun<T>(Device, Nystrom.DistancePrecision, resident, plan, chunkRows);

    /// <summary>
    /// The classic extension's pass: the landmark (or subset) sums of [values, weight] into a chunk×(k+1) scratch, then
    /// <see cref="Backend.FinishClassic{T}"/> turns them into rows (the sums come divided by a, the all-ones degrees:
    /// u = (a·Σ w·v)/√(a·Σ w)).
    /// </summary>
    private sealed class ClassicRun<T>(ComputeDevice device, DistancePrecision precision, NystromResident<T> resident, PropagationPlan plan, int chunkRows)
        : PropagationRun<T>(device, precision, resident, plan)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        private readonly DeviceMatrix<T> _sums = DeviceMatrix<T>.Allocate(device, Math.Max(1, chunkRows), resident.Values!.Cols);

        public override void Propagate(Block<T> x, Block<T> output)
        {
            int a = Plan.Rows.Length;
            for (int r0 = 0; r0 < x.Rows; r0 += _sums.Rows)
            {
                int len = Math.Min(_sums.Rows, x.Rows - r0);
                var sums = _sums.RowRange(0, len);
                Backend.RbfWeightedMeans(x with { Row0 = x.Row0 + r0, Rows = len }, Anchors.All, Values.All, Plan.Sigma, sums, Precision);
                Backend.FinishClassic(sums, a, output with { Row0 = output.Row0 + r0, Rows = len });
            }
        }

        public override void Dispose() => _sums.Dispose();
    }

    /// <summary>
    /// The classic extension on the tape, over every landmark (exact at the landmarks; a subset's least-squares weights are not
    /// recorded, so <see cref="NystromOptions.ClassicLandmarks"/> does not apply here).
    /// </summary>
    public override Variable<T> Record<T>(Tape<T> tape, Variable<T> x, Variable<T> xl, Variable<T> ul, Variable<T> lam, double sigma)
    {
        if (SubsetSizes(x.Rows, xl.Rows).Length > 0)
            Options.Log?.WriteLine($"nystrom: the recorded classic extension sums over all {xl.Rows} landmarks ({(long)x.Rows * xl.Rows:E2} point–landmark pairs); " +
                "landmark subsets apply to untaped fits");
        return NystromOps.Classic(tape, x, xl, ul, lam, sigma, Nystrom.ChunkRows, TapePrecision);
    }
}
