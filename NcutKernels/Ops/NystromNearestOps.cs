// NystromNearestOps: the differentiable nearest-anchor propagation ("nystrom-nearest", ncut_pytorch's rule or renormalized) — forward (device backend, chunked) beside its backward (host float64, chunked; += into the inputs' gradients).
using System.Numerics;
using NcutKernels.Autodiff;
using NcutKernels.Backends;
using NcutKernels.Backends.Managed;
using NcutKernels.Core;
using NcutKernels.Runtime;

namespace NcutKernels.Ops;

/// <summary>
/// ncut_pytorch's <c>nystrom_propagate</c> as one recorded operation: gradients flow through the weights (both the points'
/// and the anchors' features), the anchors' degrees and the anchors' eigenvector rows; the neighbour sets, the anchors and σp
/// are constants (docs/MATH.md, "Nyström").
/// </summary>
/// <remarks>
/// Forward, for points x_i (n×d), anchors a_j (A×d) with values u_j (A×k): N_i = the <c>neighbours</c> anchors nearest to x_i
/// (ties to the lower index), w_ij = exp(−‖x_i − a_j‖²/(2σ²)), V_i = Σ_{j∈N_i} w_ij·u_j / E_i with
/// E_i = Σ_{j∈N_i} g_j, g_j = (1/A)·Σ_j' exp(−‖a_j − a_j'‖²/(2σ²)) (ncut_pytorch), or E_i = max(Σ_{j∈N_i} w_ij, floor) (renormalized).
/// <para>Backward, given V̄ (n×k), for j ∈ N_i:</para>
/// <list type="bullet">
/// <item>ū_j += Σ_i w_ij·V̄_i/E_i;</item>
/// <item>Ē_i = −(V̄_i·V_i)/E_i; w̄_ij = (V̄_i·u_j)/E_i (+ Ē_i when renormalized and not floored);</item>
/// <item>with H_ij = w̄_ij·w_ij: x̄_i += −(1/σ²)·Σ_j H_ij·(x_i − a_j), ā_j += (1/σ²)·Σ_i H_ij·(x_i − a_j);</item>
/// <item>ncut_pytorch: ḡ_j = Σ_{i: j∈N_i} Ē_i, and through g (symmetric): ā_j += −(1/(A·σ²))·Σ_j' (ḡ_j + ḡ_j')·W_jj'·(a_j − a_j').</item>
/// </list>
/// The backward recomputes the distances in float64 (‖x‖² + ‖a‖² − 2·x·a, as the managed forward) and the neighbour sets with the
/// forward's order (distance, then index); a float32 device forward can pick another set only where two anchors tie to float32
/// rounding. O(n·A·d + n·neighbours·(d + k) + A²·d) work, O(8·A·(d + k)) memory (<see cref="RowPartitions"/>).
/// </remarks>
internal static class NystromNearestOps
{
    /// <summary>What the backward needs: σp, the neighbour count, the anchors' degrees g (null: renormalized weights).</summary>
    internal sealed record NearestSaved(double Sigma, int Neighbours, double[]? Degrees);

    /// <summary>
    /// V (n×k): every row of <paramref name="x"/> from its <paramref name="neighbours"/> nearest rows of <paramref name="anchors"/>
    /// with values <paramref name="values"/>, by the device backend's <see cref="Backend.PropagateNearest{T}"/> in chunks (the same
    /// arithmetic as the untaped Nyström forward); <paramref name="ncutPytorch"/> divides by the anchors' degrees, else by the weights.
    /// Recorded as "nystrom-nearest" with inputs (x, anchors, values).
    /// </summary>
    public static Variable<T> Nearest<T>(Tape<T> tape, Variable<T> x, Variable<T> anchors, Variable<T> values, double sigma, int neighbours,
        bool ncutPytorch, int chunkRows,
        DistancePrecision precision = DistancePrecision.Tf32x3) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = x.Rows, a = anchors.Rows, k = values.Cols;
        if (anchors.Cols != x.Cols)
            throw new ArgumentException($"Anchors have {anchors.Cols} columns, the points {x.Cols}.", nameof(anchors));
        if (values.Rows != a)
            throw new ArgumentException($"Values have {values.Rows} rows, expected one per anchor ({a}).", nameof(values));
        if (!(sigma > 0 && double.IsFinite(sigma)))
            throw new ArgumentOutOfRangeException(nameof(sigma), sigma, "σ must be finite and > 0.");
        ArgumentOutOfRangeException.ThrowIfLessThan(neighbours, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(neighbours, a);
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkRows, 1);
        var device = tape.Device;
        double[]? degrees = null;
        if (ncutPytorch)
            degrees = NystromOps.LandmarkDegrees(device, anchors.Value, sigma).Select(v => v / a).ToArray();
        int chunk = Math.Min(chunkRows, n);
        var output = DeviceMatrix<T>.Allocate(device, n, k);
        try
        {
            for (int r0 = 0; r0 < n; r0 += chunk)
            {
                int len = Math.Min(chunk, n - r0);
                device.Backend.PropagateNearest(x.Value.RowRange(r0, len), anchors.Value.All, values.Value.All, degrees, sigma, neighbours, output.RowRange(r0, len), precision);
            }
        }
        catch
        {
            output.Dispose();
            throw;
        }
        var saved = new NearestSaved(sigma, neighbours, degrees);
        return tape.Record("nystrom-nearest", [x, anchors, values], [output], e =>
        {
            NearestBackward(e, saved);
            SpectralOps.ThrowIfNotFinite(e, "nystrom-nearest");
        })[0];
    }

    /// <summary>The backward of <see cref="Nearest{T}"/> (derivation in the class remarks): host float64, 8 fixed row partitions in parallel, their sums added in order.</summary>
    public static void NearestBackward<T>(TapeEntry<T> e, NearestSaved saved) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (x, av, uv, vv) = (e.Inputs[0], e.Inputs[1], e.Inputs[2], e.Outputs[0]);
        int n = x.Rows, d = x.Cols, a = av.Rows, k = uv.Cols;
        double[] xs = x.Host, an = av.Host, u = uv.Host, vBar = vv.Grad!;
        double inv = 1 / (saved.Sigma * saved.Sigma);
        var asq = new double[a];
        for (int j = 0; j < a; j++)
            asq[j] = SimdMath.Dot<double>(an.AsSpan(j * d, d), an.AsSpan(j * d, d));
        double[]? gx = x.RequiresGrad ? x.GradForAccumulation() : null;
        var job = new Job(an, asq, u, vBar, saved, inv / 2, inv, a, d, k, gx);
        var totals = RowPartitions.Sum(n, () => new Partial(a, d, k, saved.Neighbours), (i, p) => Row(i, xs.AsSpan(i * d, d), job, p),
            (into, p) => into.Add(p));
        if (uv.RequiresGrad)
        {
            var gu = uv.GradForAccumulation();
            for (long e2 = 0; e2 < gu.Length; e2++)
                gu[e2] += totals.U[e2];
        }
        if (!av.RequiresGrad)
            return;
        var ga = av.GradForAccumulation();
        for (int j = 0; j < a; j++)
            for (int c = 0; c < d; c++)
                ga[(long)j * d + c] += inv * (totals.Hx[(long)j * d + c] - totals.ColH[j] * an[(long)j * d + c]);
        if (saved.Degrees is null)
            return;
        // Through g_j = (1/A)·Σ_j' W_jj': ā_j += −(1/(A·σ²))·Σ_j' (ḡ_j + ḡ_j')·W_jj'·(a_j − a_j').
        Solvers.RbfPairGradient.Accumulate(an, asq, a, d, totals.DegreeBar, inv / 2, -inv / a, ga);
    }

    /// <summary>Everything a row's backward reads.</summary>
    private sealed record Job(double[] Anchors, double[] AnchorNorms, double[] Values, double[] VBar, NearestSaved Saved, double Scale, double Inv,
        int A, int D, int K, double[]? Gx);

    /// <summary>One point: its neighbour set, weights and value, then x̄_i (when wanted) and its shares of ū, Σ_i H_ij·x_i, Σ_i H_ij and ḡ.</summary>
    private static void Row(int i, ReadOnlySpan<double> xi, Job job, Partial p)
    {
        int a = job.A, d = job.D, k = job.K, count = job.Saved.Neighbours;
        double xsq = SimdMath.Dot<double>(xi, xi);
        var dist = p.Dist;
        for (int j = 0; j < a; j++)
            dist[j] = Math.Max(0, xsq + job.AnchorNorms[j] - 2 * SimdMath.Dot<double>(xi, job.Anchors.AsSpan(j * d, d)));
        Nearest(dist, count, p.Order);
        var deg = job.Saved.Degrees;
        var vi = p.V.AsSpan();
        vi.Clear();
        double denominator = 0;
        for (int q = 0; q < count; q++)
        {
            int j = p.Order[q];
            p.W[q] = Math.Exp(-job.Scale * dist[j]);
            SimdMath.MultiplyAdd<double>(job.Values.AsSpan(j * k, k), p.W[q], vi);
            denominator += deg is null ? p.W[q] : deg[j];
        }
        bool floored = deg is null && !(denominator > AffinityMath.WeightFloor);
        if (floored)
            denominator = AffinityMath.WeightFloor;
        SimdMath.Scale<double>(vi, 1 / denominator);
        var vBar = job.VBar.AsSpan(i * k, k);
        double eBar = -SimdMath.Dot<double>(vBar, vi) / denominator, rowH = 0;
        var hl = p.Hl.AsSpan();
        hl.Clear();
        for (int q = 0; q < count; q++)
        {
            int j = p.Order[q];
            double w = p.W[q];
            SimdMath.MultiplyAdd<double>(vBar, w / denominator, p.U.AsSpan(j * k, k));
            double wBar = SimdMath.Dot<double>(vBar, job.Values.AsSpan(j * k, k)) / denominator + (deg is null && !floored ? eBar : 0);
            if (deg is not null)
                p.DegreeBar[j] += eBar;
            double h = wBar * w;
            rowH += h;
            var aj = job.Anchors.AsSpan(j * d, d);
            SimdMath.MultiplyAdd<double>(aj, h, hl);
            SimdMath.MultiplyAdd<double>(xi, h, p.Hx.AsSpan(j * d, d));
            p.ColH[j] += h;
        }
        if (job.Gx is null)
            return;
        for (int c = 0; c < d; c++)
            job.Gx[(long)i * d + c] += -job.Inv * (rowH * xi[c] - hl[c]);
    }

    /// <summary>The <paramref name="count"/> smallest (distance, index) pairs into <paramref name="order"/> (any order), ties to the lower index.</summary>
    private static void Nearest(double[] dist, int count, int[] order)
    {
        // Insertion into a sorted list of the best so far: anchors arrive by increasing index, so "<" keeps the lower index on ties.
        int kept = 0;
        for (int j = 0; j < dist.Length; j++)
        {
            if (kept == count && !(dist[j] < dist[order[count - 1]]))
                continue;
            int pos = Math.Min(kept, count - 1);
            while (pos > 0 && dist[j] < dist[order[pos - 1]])
            {
                order[pos] = order[pos - 1];
                pos--;
            }
            order[pos] = j;
            kept = Math.Min(kept + 1, count);
        }
    }

    /// <summary>Per-thread accumulators (ū A×k, Σ_i H_ij·x_i A×d, Σ_i H_ij, ḡ) and row scratch.</summary>
    private sealed class Partial(int a, int d, int k, int neighbours)
    {
        public readonly double[] U = new double[(long)a * k];
        public readonly double[] Hx = new double[(long)a * d];
        public readonly double[] ColH = new double[a];
        public readonly double[] DegreeBar = new double[a];
        public readonly double[] Dist = new double[a];
        public readonly int[] Order = new int[neighbours];
        public readonly double[] W = new double[neighbours];
        public readonly double[] V = new double[k];
        public readonly double[] Hl = new double[d];

        public void Add(Partial o)
        {
            RowPartitions.Add(U, o.U);
            RowPartitions.Add(Hx, o.Hx);
            RowPartitions.Add(ColH, o.ColH);
            RowPartitions.Add(DegreeBar, o.DegreeBar);
        }
    }
}
