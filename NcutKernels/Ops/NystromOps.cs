// NystromOps: the differentiable classic Nyström extension ("nystrom-classic") — forward (device backend, chunked) beside its backward (host float64, chunked; += into the inputs' gradients).
using System.Numerics;
using NcutKernels.Autodiff;
using NcutKernels.Backends;
using NcutKernels.Backends.Managed;
using NcutKernels.Core;
using NcutKernels.Runtime;

namespace NcutKernels.Ops;

/// <summary>
/// The propagation step of a Nyström Ncut as one recorded operation, so that gradients reach every point's features, the
/// landmarks' features, the landmark eigenvectors and eigenvalues (docs/MATH.md, "Nyström"). σ is a constant.
/// </summary>
/// <remarks>
/// Forward, for points x_i (n×d), landmarks l_j (m×d), landmark eigenvectors u_j (m×k) and eigenvalues λ (1×k):
/// w_ij = exp(−‖x_i − l_j‖²/(2σ²)), D_i = Σ_j w_ij, d_j = Σ_j' exp(−‖l_j − l_j'‖²/(2σ²)) (the landmark graph's degrees),
/// s_j = 1/√max(d_j, floor), λ̃_c = max(λ_c, floor), and
/// V_ic = D_i^(−1/2)·A_ic/λ̃_c with A_ic = Σ_j w_ij·s_j·u_jc (rows with D_i ≤ 1e-30 are 0).
/// <para>Backward, given V̄ (n×k), with B_ic = V̄_ic/(√D_i·λ̃_c) the adjoint of A:</para>
/// <list type="bullet">
/// <item>λ̄_c += −(1/λ̃_c)·Σ_i V̄_ic·V_ic (0 where λ was floored);</item>
/// <item>D̄_i = −½·D_i^(−1)·Σ_c V̄_ic·V_ic;</item>
/// <item>P = Wᵀ·B (m×k): Ū_jc += s_j·P_jc and s̄_j = Σ_c u_jc·P_jc, so d̄_j = −½·d_j^(−3/2)·s̄_j (0 where d_j was floored);</item>
/// <item>W̄_ij = s_j·(B_i·u_j) + D̄_i; with H = W̄∘W (∂w_ij/∂x_i = −w_ij·(x_i − l_j)/σ², ∂w_ij/∂l_j = −∂w_ij/∂x_i):
///   x̄_i += −(1/σ²)·Σ_j H_ij·(x_i − l_j) and l̄_j += (1/σ²)·Σ_i H_ij·(x_i − l_j);</item>
/// <item>through the degrees, W_LL symmetric: with S_jj' = (d̄_j + d̄_j')·W_LL,jj', l̄_j += −(1/σ²)·Σ_j' S_jj'·(l_j − l_j').</item>
/// </list>
/// The backward recomputes w row by row in tiles (nothing n×m is stored): O(n·m·(d + k) + m²·d) work, O(8·m·(d + k)) memory (<see cref="RowPartitions"/>).
/// </remarks>
internal static class NystromOps
{
    /// <summary>The classic extension divides by λ; eigenvalues below this are floored (as the Nyström fit does).</summary>
    public const double EigenvalueFloor = 1e-12;

    /// <summary>What the backward needs: σ and the landmark graph's degrees d_j used by the forward.</summary>
    internal sealed record ClassicSaved(double Sigma, double[] Degrees);

    /// <summary>
    /// V (n×k) = the classic Nyström extension of (<paramref name="ul"/>, <paramref name="lambda"/>) from the landmarks
    /// <paramref name="xl"/> to the rows of <paramref name="x"/>, computed by the device backend's all-landmark propagation in
    /// chunks of <paramref name="chunkRows"/> rows (the same arithmetic as an untaped Nyström fit).
    /// Recorded as "nystrom-classic" with inputs (x, xl, ul, lambda).
    /// </summary>
    public static Variable<T> Classic<T>(Tape<T> tape, Variable<T> x, Variable<T> xl, Variable<T> ul, Variable<T> lambda, double sigma, int chunkRows,
        DistancePrecision precision = DistancePrecision.Tf32x3)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = x.Rows, d = x.Cols, m = xl.Rows, k = ul.Cols;
        if (xl.Cols != d)
            throw new ArgumentException($"Landmarks have {xl.Cols} columns, the points {d}.", nameof(xl));
        if (ul.Rows != m)
            throw new ArgumentException($"Landmark eigenvectors have {ul.Rows} rows, expected m = {m}.", nameof(ul));
        if (lambda.Rows != 1 || lambda.Cols != k)
            throw new ArgumentException($"Eigenvalues must be 1×{k}, got {lambda.Rows}×{lambda.Cols}.", nameof(lambda));
        if (!(sigma > 0 && double.IsFinite(sigma)))
            throw new ArgumentOutOfRangeException(nameof(sigma), sigma, "σ must be finite and > 0.");
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkRows, 1);
        var device = tape.Device;
        var be = device.Backend;
        var degrees = LandmarkDegrees(device, xl.Value, sigma);
        // values_j = [u_j/(λ̃·√d_j), 1]: the all-landmark sums give Σ_j w·u_j/(λ̃√d_j) and Σ_j w = D (both × 1/m, undone below).
        double[] u = ul.Host, lam = lambda.Host;
        var values = new T[(long)m * (k + 1)];
        for (int j = 0; j < m; j++)
        {
            double s = 1 / Math.Sqrt(Math.Max(degrees[j], AffinityMath.DegreeFloor));
            for (int c = 0; c < k; c++)
                values[(long)j * (k + 1) + c] = T.CreateTruncating(u[(long)j * k + c] * s / Math.Max(lam[c], EigenvalueFloor));
            values[(long)j * (k + 1) + k] = T.One;
        }
        var ones = Enumerable.Repeat(1.0, m).ToArray();
        using var vm = DeviceMatrix<T>.Upload(device, values, m, k + 1);
        int chunk = Math.Min(chunkRows, n);
        using var oc = DeviceMatrix<T>.Allocate(device, chunk, k + 1);
        var result = new T[(long)n * k];
        var part = new T[(long)chunk * (k + 1)];
        for (int r0 = 0; r0 < n; r0 += chunk)
        {
            int len = Math.Min(chunk, n - r0);
            be.PropagateNearest(x.Value.RowRange(r0, len), xl.Value.All, vm.All, ones, sigma, m, oc.RowRange(0, len), precision);
            oc.Storage.Download(part.AsSpan(0, len * (k + 1)), 0);
            for (int r = 0; r < len; r++)
            {
                // The sums came divided by m (all-ones degrees): V = (m·Σ w·v)/√(m·Σ w).
                double total = double.CreateTruncating(part[(long)r * (k + 1) + k]) * m;
                double scale = total > AffinityMath.WeightFloor ? m / Math.Sqrt(total) : 0;
                for (int c = 0; c < k; c++)
                    result[(long)(r0 + r) * k + c] = T.CreateTruncating(double.CreateTruncating(part[(long)r * (k + 1) + c]) * scale);
            }
        }
        var output = DeviceMatrix<T>.Upload(device, result, n, k);
        var saved = new ClassicSaved(sigma, degrees);
        return tape.Record("nystrom-classic", [x, xl, ul, lambda], [output], e =>
        {
            ClassicBackward(e, saved);
            SpectralOps.ThrowIfNotFinite(e, "nystrom-classic");
        })[0];
    }

    /// <summary>d_j = row sums of the landmarks' affinity (RBF unless <paramref name="kind"/> says otherwise) at σ, on the device (as the landmark Ncut computes them).</summary>
    internal static double[] LandmarkDegrees<T>(ComputeDevice device, DeviceMatrix<T> xl, double sigma, AffinityKind kind = AffinityKind.Rbf)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int m = xl.Rows;
        var be = device.Backend;
        using var w = DeviceMatrix<T>.Allocate(device, m, m);
        using var sums = DeviceMatrix<T>.Allocate(device, 1, m);
        be.Affinity(xl.All, w, kind, 1 / (2 * sigma * sigma));
        be.RowSums(w, sums.All);
        var host = new T[m];
        sums.Download(host);
        return host.Select(double.CreateTruncating).ToArray();
    }

    /// <summary>The backward of <see cref="Classic{T}"/> (derivation in the class remarks): host float64, 8 fixed row partitions in parallel, their sums added in order.</summary>
    public static void ClassicBackward<T>(TapeEntry<T> e, ClassicSaved saved) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (x, xl, ul, lv, vv) = (e.Inputs[0], e.Inputs[1], e.Inputs[2], e.Inputs[3], e.Outputs[0]);
        int n = x.Rows, d = x.Cols, m = xl.Rows, k = ul.Cols;
        double[] xs = x.Host, ls = xl.Host, u = ul.Host, lam = lv.Host, vBar = vv.Grad!, deg = saved.Degrees;
        double inv = 1 / (saved.Sigma * saved.Sigma), scale = inv / 2;
        var s = AffinityMath.InvSqrtDegrees(deg);
        var lt = lam.Select(v => Math.Max(v, EigenvalueFloor)).ToArray();
        var lsq = new double[m];
        for (int j = 0; j < m; j++)
            lsq[j] = SimdMath.Dot<double>(ls.AsSpan(j * d, d), ls.AsSpan(j * d, d));
        var su = new double[(long)m * k];
        for (int j = 0; j < m; j++)
            for (int c = 0; c < k; c++)
                su[(long)j * k + c] = s[j] * u[(long)j * k + c];
        double[]? gx = x.RequiresGrad ? x.GradForAccumulation() : null;
        var totals = RowPartitions.Sum(n, () => new Partial(m, d, k),
            (i, p) => Row(i, xs.AsSpan(i * d, d), ls, lsq, su, lt, vBar, scale, inv, m, d, k, gx, p), (into, p) => into.Add(p));
        if (lv.RequiresGrad)
        {
            var gl = lv.GradForAccumulation();
            for (int c = 0; c < k; c++)
                if (lam[c] > EigenvalueFloor)
                    gl[c] += -totals.LambdaDot[c] / lt[c];
        }
        if (ul.RequiresGrad)
        {
            var gu = ul.GradForAccumulation();
            for (int j = 0; j < m; j++)
                for (int c = 0; c < k; c++)
                    gu[(long)j * k + c] += s[j] * totals.P[(long)j * k + c];
        }
        if (!xl.RequiresGrad)
            return;
        var gxl = xl.GradForAccumulation();
        var dBar = new double[m];
        for (int j = 0; j < m; j++)
        {
            double sBar = SimdMath.Dot<double>(u.AsSpan(j * k, k), totals.P.AsSpan(j * k, k));
            dBar[j] = deg[j] > AffinityMath.DegreeFloor ? -0.5 * Math.Pow(deg[j], -1.5) * sBar : 0;
            for (int c = 0; c < d; c++)
                gxl[(long)j * d + c] += inv * (totals.Hx[(long)j * d + c] - totals.ColH[j] * ls[(long)j * d + c]);
        }
        // Through the degrees: l̄_j += −(1/σ²)·Σ_j' (d̄_j + d̄_j')·W_jj'·(l_j − l_j').
        Solvers.RbfPairGradient.Accumulate(ls, lsq, m, d, dBar, scale, -inv, gxl);
    }

    /// <summary>One point's share: x̄_i (when wanted) and its contributions to P = Wᵀ·B, Σ_i H_ij·x_i, Σ_i H_ij and Σ_i V̄_ic·V_ic.</summary>
    private static void Row(int i, ReadOnlySpan<double> xi, double[] ls, double[] lsq, double[] su, double[] lt, double[] vBar, double scale, double inv,
        int m, int d, int k, double[]? gx, Partial p)
    {
        var w = p.W;
        double xsq = SimdMath.Dot<double>(xi, xi), total = 0;
        for (int j = 0; j < m; j++)
        {
            double dist = Math.Max(0, xsq + lsq[j] - 2 * SimdMath.Dot<double>(xi, ls.AsSpan(j * d, d)));
            w[j] = Math.Exp(-scale * dist);
            total += w[j];
        }
        if (!(total > AffinityMath.WeightFloor))
            return; // V_i was set to 0: a constant
        var a = p.A.AsSpan();
        a.Clear();
        for (int j = 0; j < m; j++)
            SimdMath.MultiplyAdd<double>(su.AsSpan(j * k, k), w[j], a);
        double root = Math.Sqrt(total), vv = 0;
        var b = p.B.AsSpan();
        for (int c = 0; c < k; c++)
        {
            double vic = a[c] / (root * lt[c]), gic = vBar[(long)i * k + c];
            b[c] = gic / (root * lt[c]);
            vv += gic * vic;
            p.LambdaDot[c] += gic * vic;
        }
        double dBar = -0.5 * vv / total, rowH = 0;
        var hl = p.Hl.AsSpan();
        hl.Clear();
        for (int j = 0; j < m; j++)
        {
            var lj = ls.AsSpan(j * d, d);
            SimdMath.MultiplyAdd<double>(b, w[j], p.P.AsSpan(j * k, k));
            double h = (SimdMath.Dot<double>(b, su.AsSpan(j * k, k)) + dBar) * w[j];
            rowH += h;
            SimdMath.MultiplyAdd<double>(lj, h, hl);
            SimdMath.MultiplyAdd<double>(xi, h, p.Hx.AsSpan(j * d, d));
            p.ColH[j] += h;
        }
        if (gx is null)
            return;
        for (int c = 0; c < d; c++)
            gx[(long)i * d + c] += -inv * (rowH * xi[c] - hl[c]);
    }

    /// <summary>Per-thread accumulators (P m×k, Σ_i H_ij·x_i m×d, Σ_i H_ij, Σ_i V̄_ic·V_ic) and row scratch (w, A, B, Σ_j H_ij·l_j).</summary>
    private sealed class Partial(int m, int d, int k)
    {
        public readonly double[] P = new double[(long)m * k];
        public readonly double[] Hx = new double[(long)m * d];
        public readonly double[] ColH = new double[m];
        public readonly double[] LambdaDot = new double[k];
        public readonly double[] W = new double[m];
        public readonly double[] A = new double[k];
        public readonly double[] B = new double[k];
        public readonly double[] Hl = new double[d];

        public void Add(Partial o)
        {
            RowPartitions.Add(P, o.P);
            RowPartitions.Add(Hx, o.Hx);
            RowPartitions.Add(ColH, o.ColH);
            RowPartitions.Add(LambdaDot, o.LambdaDot);
        }
    }
}
