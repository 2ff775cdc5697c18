// Backend: the primitive operations every algorithm (affinity, normalization, Lanczos) is written against.
using System.Numerics;
using NcutKernels.Backends.Managed;
using NcutKernels.Core;
using NcutKernels.Runtime;

namespace NcutKernels.Backends;

/// <summary>
/// One set of primitives, several implementations (managed CPU, ILGPU on CUDA or on ILGPU's CPU
/// accelerator). Tall vectors are stored as rows of a <see cref="Block{T}"/> (contiguous, length n);
/// small dense factors (≤ a few hundred) live on the host in float64.
/// Every output is overwritten (=) unless the method says it accumulates. Each primitive is an entry (<see cref="Enter"/>:
/// the device's lock where the backend serializes, the disposal check, the backend bound to the calling thread) around
/// its implementation, the protected <c>…Core</c> method.
/// </summary>
internal abstract partial class Backend
{
    /// <summary>Allocates a zero-filled buffer.</summary>
    public DeviceStorage<T> Allocate<T>(long length) where T : unmanaged
    {
        using var entry = Enter();
        return AllocateCore<T>(length);
    }

    /// <inheritdoc cref="Allocate{T}"/>
    protected abstract DeviceStorage<T> AllocateCore<T>(long length) where T : unmanaged;

    /// <summary>w (n×n) = affinity of the rows of x (n×d). scale = 1/(2σ²).</summary>
    public void Affinity<T>(Block<T> x, DeviceMatrix<T> w, AffinityKind kind, double scale) where T : unmanaged, IFloatingPointIeee754<T>
    {
        using var entry = Enter();
        AffinityCore(x, w, kind, scale);
    }

    /// <inheritdoc cref="Affinity{T}"/>
    protected abstract void AffinityCore<T>(Block<T> x, DeviceMatrix<T> w, AffinityKind kind, double scale) where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>sums (1×n) = row sums of w (n×n).</summary>
    public void RowSums<T>(DeviceMatrix<T> w, Block<T> sums) where T : unmanaged, IFloatingPointIeee754<T>
    {
        using var entry = Enter();
        RowSumsCore(w, sums);
    }

    /// <inheritdoc cref="RowSums{T}"/>
    protected abstract void RowSumsCore<T>(DeviceMatrix<T> w, Block<T> sums) where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>w = diag(d)^-1/2 · w · diag(d)^-1/2 + shift·I in place, d = degrees (1×n).</summary>
    public void Normalize<T>(DeviceMatrix<T> w, Block<T> degrees, double shift) where T : unmanaged, IFloatingPointIeee754<T>
    {
        using var entry = Enter();
        NormalizeCore(w, degrees, shift);
    }

    /// <inheritdoc cref="Normalize{T}"/>
    protected abstract void NormalizeCore<T>(DeviceMatrix<T> w, Block<T> degrees, double shift) where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>y (b×n) = (m · vᵀ)ᵀ for symmetric m (n×n) and v (b×n): one pass over m for the whole block.</summary>
    public void SymmetricProduct<T>(DeviceMatrix<T> m, Block<T> v, Block<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        using var entry = Enter();
        SymmetricProductCore(m, v, y);
    }

    /// <inheritdoc cref="SymmetricProduct{T}"/>
    protected abstract void SymmetricProductCore<T>(DeviceMatrix<T> m, Block<T> v, Block<T> y) where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>Returns G (p×q, float64 accumulation) with G[r, c] = a_r · b_c for a (p×n), b (q×n).</summary>
    public double[,] InnerProducts<T>(Block<T> a, Block<T> b) where T : unmanaged, IFloatingPointIeee754<T>
    {
        using var entry = Enter();
        return InnerProductsCore(a, b);
    }

    /// <inheritdoc cref="InnerProducts{T}"/>
    protected abstract double[,] InnerProductsCore<T>(Block<T> a, Block<T> b) where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>dst_c = beta·dst_c + Σ_r s[r, c]·a_r for dst (q×n), a (p×n), s (p×q); dst must not overlap a.</summary>
    public void Combine<T>(Block<T> dst, double beta, Block<T> a, double[,] s) where T : unmanaged, IFloatingPointIeee754<T>
    {
        using var entry = Enter();
        CombineCore(dst, beta, a, s);
    }

    /// <inheritdoc cref="Combine{T}"/>
    protected abstract void CombineCore<T>(Block<T> dst, double beta, Block<T> a, double[,] s) where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>
    /// The fused backward of affinity → normalization (docs/MATH.md §6; <see cref="NcutBackward"/>): from the eigen adjoint
    /// M̄ = ½(Y·Uᵀ + U·Yᵀ), accumulates (+=) into gx (n×d, float64) the gradient with respect to the features without forming
    /// W̄ or M̄. With S_ij = (2·M̄_ij·s_i·s_j + d̄_i + d̄_j)·∂W_ij: RBF (∂W = W) X̄ += −(1/σ²)·(diag(S·1) − S)·X; cosine
    /// (∂W = ∂W/∂(x̂_i·x̂_j), recomputed from the unit rows) X̂̄ = S·X̂ and x̄_i += (x̂̄_i − (x̂_i·x̂̄_i)·x̂_i)/‖x_i‖.
    /// x (n×d) the features, w (n×n) their affinity of <paramref name="kind"/>, degrees d = W·1, y and u n×k row-major
    /// float64, σ the affinity's. <paramref name="rows"/>: only these rows of gx are accumulated (each once; null: every row).
    /// </summary>
    public void AccumulateEmbeddingGradient<T>(AffinityKind kind, Block<T> x, DeviceMatrix<T> w, double[] degrees, double[] y, double[] u, double sigma,
        double[] gx, int[]? rows = null) where T : unmanaged, IFloatingPointIeee754<T> =>
        AccumulateEmbeddingGradients(kind, x, w, degrees, [y], u, sigma, [gx], [rows]);

    /// <summary>
    /// <see cref="AccumulateEmbeddingGradient{T}"/> for several eigen adjoints Y_c of the same embedding at once, each into its
    /// own gx_c over its own rows (null: every row); what every adjoint shares is computed once (managed: the widened W, W·(s∘U)
    /// and the unit rows, the products W·(s∘Y_c) as one; ILGPU: the cosine slope matrix).
    /// </summary>
    public void AccumulateEmbeddingGradients<T>(AffinityKind kind, Block<T> x, DeviceMatrix<T> w, double[] degrees, IReadOnlyList<double[]> ys, double[] u,
        double sigma, IReadOnlyList<double[]> gxs, IReadOnlyList<int[]?> rows) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(ys);
        ArgumentNullException.ThrowIfNull(gxs);
        ArgumentNullException.ThrowIfNull(rows);
        if (ys.Count == 0 || gxs.Count != ys.Count || rows.Count != ys.Count)
            throw new ArgumentException($"AccumulateEmbeddingGradients: {ys.Count} adjoints, {gxs.Count} gradients and {rows.Count} row sets must agree and be at least one.", nameof(ys));
        var distinct = new int[]?[rows.Count];
        for (int c = 0; c < rows.Count; c++)
        {
            if (rows[c] is not { } r)
                continue;
            int bad = Array.FindIndex(r, v => (uint)v >= (uint)x.Rows);
            if (bad >= 0)
                throw new ArgumentOutOfRangeException(nameof(rows), r[bad], $"AccumulateEmbeddingGradients: rows[{c}][{bad}] is outside [0, {x.Rows}).");
            distinct[c] = r.Distinct().Order().ToArray();
        }
        using var entry = Enter();
        AccumulateEmbeddingGradientsCore(kind, x, w, degrees, ys, u, sigma, gxs, distinct);
    }

    /// <inheritdoc cref="AccumulateEmbeddingGradients{T}"/>
    protected abstract void AccumulateEmbeddingGradientsCore<T>(AffinityKind kind, Block<T> x, DeviceMatrix<T> w, double[] degrees, IReadOnlyList<double[]> ys,
        double[] u, double sigma, IReadOnlyList<double[]> gxs, IReadOnlyList<int[]?> rows) where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>
    /// Greedy farthest-point sampling of the rows of <paramref name="points"/> (rows×p, row-major; p ≤ 8 in practice, any p
    /// allowed): the walk starts at row 0; each step picks the row whose squared Euclidean distance to its nearest picked
    /// row is largest, ties to the lowest row index, never a row twice. Returns <paramref name="count"/> (≥ 1) row indices in
    /// pick order; count ≥ rows returns every row, 0..rows−1 in order. The managed backend equals <see cref="FarthestPointWalk.Greedy"/>
    /// (float64 distances); the ILGPU kernel compares float32 distances, so its picks may differ where two rows nearly tie.
    /// </summary>
    public int[] FarthestPointSample<T>(Block<T> points, int count) where T : unmanaged, IFloatingPointIeee754<T>
    {
        using var entry = Enter();
        return FarthestPointSampleCore(points, count);
    }

    /// <inheritdoc cref="FarthestPointSample{T}"/>
    protected abstract int[] FarthestPointSampleCore<T>(Block<T> points, int count) where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>
    /// Nearest-anchor propagation: for every row x_i of <paramref name="x"/> (n×d), N_i = the <paramref name="neighbours"/>
    /// rows of <paramref name="anchors"/> (a×d) with the smallest squared distance ‖x_i − a_j‖² (ties to the lower anchor
    /// index), w_ij = exp(−‖x_i − a_j‖²/(2σ²)), and output_i (= , n×k) = Σ_{j∈N_i} w_ij·values_j / denom_i, values a×k, with
    /// denom_i = Σ_{j∈N_i} anchorDegrees_j when <paramref name="anchorDegrees"/> (length a) is given (ncut_pytorch's rule),
    /// else max(Σ_{j∈N_i} w_ij, <see cref="AffinityMath.WeightFloor"/>) (renormalized weights).
    /// 1 ≤ neighbours ≤ a, σ &gt; 0. Rows are independent: the result for a row does not depend on the other rows given.
    /// <paramref name="precision"/>: the distances' products on CUDA (ignored elsewhere).
    /// </summary>
    public void PropagateNearest<T>(Block<T> x, Block<T> anchors, Block<T> values, double[]? anchorDegrees, double sigma, int neighbours,
        Block<T> output, DistancePrecision precision = DistancePrecision.Tf32x3) where T : unmanaged, IFloatingPointIeee754<T>
    {
        using var entry = Enter();
        PropagateNearestCore(x, anchors, values, anchorDegrees, sigma, neighbours, output, precision);
    }

    /// <inheritdoc cref="PropagateNearest{T}"/>
    protected abstract void PropagateNearestCore<T>(Block<T> x, Block<T> anchors, Block<T> values, double[]? anchorDegrees, double sigma, int neighbours,
        Block<T> output, DistancePrecision precision) where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>
    /// The classic Nyström extension's sums: output_i (=, rows×c) = (1/a)·Σ_j exp(−‖x_i − anchor_j‖²/(2σ²))·values_j over every
    /// row of <paramref name="anchors"/> (a×d), values a×c — what <see cref="PropagateNearest{T}"/> gives with every anchor a
    /// neighbour of degree 1, as a primitive of its own (one fused pass over the anchors on CUDA, no neighbour selection).
    /// σ &gt; 0; rows are independent. <paramref name="precision"/>: the distances' products on CUDA (ignored elsewhere).
    /// </summary>
    public void RbfWeightedMeans<T>(Block<T> x, Block<T> anchors, Block<T> values, double sigma, Block<T> output,
        DistancePrecision precision = DistancePrecision.Tf32x3) where T : unmanaged, IFloatingPointIeee754<T>
    {
        using var entry = Enter();
        CheckPropagation(x, anchors, values, null, sigma, anchors.Rows, output);
        RbfWeightedMeansCore(x, anchors, values, sigma, output, precision);
    }

    /// <inheritdoc cref="RbfWeightedMeans{T}"/>
    protected abstract void RbfWeightedMeansCore<T>(Block<T> x, Block<T> anchors, Block<T> values, double sigma, Block<T> output,
        DistancePrecision precision) where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>
    /// The classic Nyström extension's last step on propagated sums (rows×(k+1): Σ_j w·v_j in the first k columns, Σ_j w in
    /// the last, each divided by <paramref name="count"/>): output[r, c] (=, rows×k) = sums[r, c]·count/√(count·sums[r, k]),
    /// or 0 where count·sums[r, k] ≤ <see cref="AffinityMath.WeightFloor"/>.
    /// </summary>
    public void FinishClassic<T>(Block<T> sums, double count, Block<T> output) where T : unmanaged, IFloatingPointIeee754<T>
    {
        using var entry = Enter();
        FinishClassicCore(sums, count, output);
    }

    /// <inheritdoc cref="FinishClassic{T}"/>
    protected abstract void FinishClassicCore<T>(Block<T> sums, double count, Block<T> output) where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>
    /// The classic Nyström extension's value matrix from the landmark eigenvectors as the solver leaves them:
    /// <paramref name="vectors"/> k×m (row c = eigenvector c over the m landmarks), <paramref name="rows"/> the s landmarks
    /// the extension sums over (positions in [0, m), any order, repeats allowed), <paramref name="rowScale"/> (length s),
    /// <paramref name="columnSign"/> and <paramref name="columnDivisor"/> (length k; all finite, divisors nonzero). values (=, s×(k+1)):
    /// values[j, c] = T(((double)vectors[c, rows[j]]·columnSign[c])·rowScale[j] / columnDivisor[c]) for c &lt; k, evaluated in
    /// float64 in that order and rounded once (so it equals, bit for bit, the host's u·s/λ with u = sign·vector in float64),
    /// and values[j, k] = 1.
    /// </summary>
    public void ClassicValues<T>(Block<T> vectors, int[] rows, double[] rowScale, double[] columnSign, double[] columnDivisor, Block<T> values)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        using var entry = Enter();
        ClassicValuesCore(vectors, rows, rowScale, columnSign, columnDivisor, values);
    }

    /// <inheritdoc cref="ClassicValues{T}"/>
    protected abstract void ClassicValuesCore<T>(Block<T> vectors, int[] rows, double[] rowScale, double[] columnSign, double[] columnDivisor, Block<T> values)
        where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>dst (= , rows.Length×d) = the rows of x (n×d) listed in <paramref name="rows"/>, in that order (each in [0, n)).</summary>
    public void GatherRows<T>(Block<T> x, int[] rows, Block<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
    {
        using var entry = Enter();
        GatherRowsCore(x, rows, dst);
    }

    /// <inheritdoc cref="GatherRows{T}"/>
    protected abstract void GatherRowsCore<T>(Block<T> x, int[] rows, Block<T> dst) where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>The largest |x| over the elements of x (all finite: call after <see cref="FirstNonFinite{T}"/>); 0 for an empty x.</summary>
    public double MaxAbs<T>(Block<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        using var entry = Enter();
        return MaxAbsCore(x);
    }

    /// <inheritdoc cref="MaxAbs{T}"/>
    protected abstract double MaxAbsCore<T>(Block<T> x) where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>The lowest flat index (row·cols + col) of a NaN or infinite element of x, or −1 when every element is finite.</summary>
    public long FirstNonFinite<T>(Block<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        using var entry = Enter();
        return FirstNonFiniteCore(x);
    }

    /// <inheritdoc cref="FirstNonFinite{T}"/>
    protected abstract long FirstNonFiniteCore<T>(Block<T> x) where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>dst = src (same shape).</summary>
    public void Copy<T>(Block<T> src, Block<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
    {
        using var entry = Enter();
        CopyCore(src, dst);
    }

    /// <inheritdoc cref="Copy{T}"/>
    protected abstract void CopyCore<T>(Block<T> src, Block<T> dst) where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>
    /// Σ_i x[i, c] for every column c of x (rows×cols), accumulated in float64 in a fixed order (deterministic; on ILGPU the
    /// float64 sums pass through float32 means, enough for a sign).
    /// </summary>
    public double[] ColumnSums<T>(Block<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        using var entry = Enter();
        return ColumnSumsCore(x);
    }

    /// <inheritdoc cref="ColumnSums{T}"/>
    protected abstract double[] ColumnSumsCore<T>(Block<T> x) where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>x[i, c] ·= factors[c] for every row i (factors: one finite value per column of x).</summary>
    public void ScaleColumns<T>(Block<T> x, double[] factors) where T : unmanaged, IFloatingPointIeee754<T>
    {
        using var entry = Enter();
        CheckColumnFactors(x, factors);
        ScaleColumnsCore(x, factors);
    }

    /// <inheritdoc cref="ScaleColumns{T}"/>
    protected abstract void ScaleColumnsCore<T>(Block<T> x, double[] factors) where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>
    /// The σ rule's affinity row sums over xs (m×d, float64) computed on this backend, or null when the backend has no such
    /// capability and the host computes them (<see cref="HostRowSums"/>; the managed CPU backend).
    /// </summary>
    public virtual IAffinityRowSums? SigmaRowSums(double[] xs, int m, int d, AffinityKind kind) => null;

    /// <summary>Waits for queued work.</summary>
    public void Synchronize()
    {
        using var entry = Enter();
        SynchronizeCore();
    }

    /// <inheritdoc cref="Synchronize"/>
    protected abstract void SynchronizeCore();

    /// <summary>Checks that the coefficients of <see cref="Combine{T}"/> are p×q.</summary>
    protected static void CheckCoefficients(double[,] s, int p, int q)
    {
        if (s.GetLength(0) != p || s.GetLength(1) != q)
            throw new ArgumentException($"Combine: coefficients are {s.GetLength(0)}×{s.GetLength(1)}, expected {p}×{q}.");
    }

    /// <summary>Checks the shapes of <see cref="AccumulateEmbeddingGradient{T}"/> for one adjoint; returns k.</summary>
    protected static int CheckEmbeddingGradient<T>(Block<T> x, DeviceMatrix<T> w, double[] degrees, double[] y, double[] u, double[] gx)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = x.Rows, k = u.Length / n;
        if (w.Rows != n || w.Cols != n || degrees.Length != n || u.Length != n * k || y.Length != u.Length || gx.Length != x.Length)
            throw new ArgumentException($"AccumulateEmbeddingGradient: shapes disagree (x {n}×{x.Cols}, w {w.Rows}×{w.Cols}, degrees {degrees.Length}, " +
                $"u {u.Length}, y {y.Length}, gx {gx.Length}).");
        return k;
    }

    /// <summary>Checks the count of <see cref="FarthestPointSample{T}"/>.</summary>
    protected static void CheckSampleCount(int count)
    {
        if (count < 1)
            throw new ArgumentOutOfRangeException(nameof(count), count, "FarthestPointSample: count must be at least 1.");
    }

    /// <summary>Checks the shapes and scalars of <see cref="PropagateNearest{T}"/>.</summary>
    protected static void CheckPropagation<T>(Block<T> x, Block<T> anchors, Block<T> values, double[]? anchorDegrees, double sigma, int neighbours,
        Block<T> output) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (anchors.Cols != x.Cols)
            throw new ArgumentException($"PropagateNearest: anchors have {anchors.Cols} columns, x has {x.Cols}.", nameof(anchors));
        if (values.Rows != anchors.Rows)
            throw new ArgumentException($"PropagateNearest: values have {values.Rows} rows, expected one per anchor ({anchors.Rows}).", nameof(values));
        if (output.Rows != x.Rows || output.Cols != values.Cols)
            throw new ArgumentException($"PropagateNearest: output is {output.Rows}×{output.Cols}, expected {x.Rows}×{values.Cols}.", nameof(output));
        if (anchorDegrees is not null && anchorDegrees.Length != anchors.Rows)
            throw new ArgumentException($"PropagateNearest: anchorDegrees has {anchorDegrees.Length} entries, expected {anchors.Rows}.", nameof(anchorDegrees));
        if (anchorDegrees is not null && Array.FindIndex(anchorDegrees, v => !(v > 0) || !double.IsFinite(v)) is var bad and >= 0)
            throw new ArgumentOutOfRangeException(nameof(anchorDegrees), anchorDegrees[bad], $"PropagateNearest: anchor degree {bad} must be positive and finite.");
        if (!(sigma > 0) || !double.IsFinite(sigma))
            throw new ArgumentOutOfRangeException(nameof(sigma), sigma, "PropagateNearest: σ must be positive and finite.");
        if (neighbours < 1 || neighbours > anchors.Rows)
            throw new ArgumentOutOfRangeException(nameof(neighbours), neighbours, $"PropagateNearest: neighbours must be in [1, {anchors.Rows}] (the anchor count).");
    }

    /// <summary>Checks the shapes of <see cref="FinishClassic{T}"/>.</summary>
    protected static void CheckFinishClassic<T>(Block<T> sums, double count, Block<T> output) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (sums.Rows != output.Rows || sums.Cols != output.Cols + 1)
            throw new ArgumentException($"FinishClassic: sums are {sums.Rows}×{sums.Cols}, output {output.Rows}×{output.Cols}; expected rows×(k+1) and rows×k.");
        if (!(count > 0) || !double.IsFinite(count))
            throw new ArgumentOutOfRangeException(nameof(count), count, "FinishClassic: count must be positive and finite.");
    }

    /// <summary>Checks the arguments of <see cref="ClassicValues{T}"/>: k = vectors.Rows, s = rows.Length.</summary>
    protected static void CheckClassicValues<T>(Block<T> vectors, int[] rows, double[] rowScale, double[] columnSign, double[] columnDivisor, Block<T> values)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(rowScale);
        ArgumentNullException.ThrowIfNull(columnSign);
        ArgumentNullException.ThrowIfNull(columnDivisor);
        int k = vectors.Rows, s = rows.Length;
        if (values.Rows != s || values.Cols != k + 1)
            throw new ArgumentException($"ClassicValues: values are {values.Rows}×{values.Cols}, expected {s}×{k + 1} (one row per index, k + 1 columns for the {k} vectors).", nameof(values));
        if (rowScale.Length != s)
            throw new ArgumentException($"ClassicValues: rowScale has {rowScale.Length} entries for {s} rows.", nameof(rowScale));
        if (columnSign.Length != k)
            throw new ArgumentException($"ClassicValues: columnSign has {columnSign.Length} entries for {k} vectors.", nameof(columnSign));
        if (columnDivisor.Length != k)
            throw new ArgumentException($"ClassicValues: columnDivisor has {columnDivisor.Length} entries for {k} vectors.", nameof(columnDivisor));
        if (Array.FindIndex(rows, r => r < 0 || r >= vectors.Cols) is var bad and >= 0)
            throw new ArgumentOutOfRangeException(nameof(rows), rows[bad], $"ClassicValues: row index {bad} is outside [0, {vectors.Cols}).");
        if (Array.FindIndex(rowScale, v => !double.IsFinite(v)) is var badScale and >= 0)
            throw new ArgumentOutOfRangeException(nameof(rowScale), rowScale[badScale], $"ClassicValues: row scale {badScale} must be finite.");
        if (Array.FindIndex(columnSign, v => !double.IsFinite(v)) is var badSign and >= 0)
            throw new ArgumentOutOfRangeException(nameof(columnSign), columnSign[badSign], $"ClassicValues: column sign {badSign} must be finite.");
        if (Array.FindIndex(columnDivisor, v => v == 0 || !double.IsFinite(v)) is var badDivisor and >= 0)
            throw new ArgumentOutOfRangeException(nameof(columnDivisor), columnDivisor[badDivisor], $"ClassicValues: column divisor {badDivisor} must be nonzero and finite.");
    }

    /// <summary>Checks the arguments of <see cref="ScaleColumns{T}"/>.</summary>
    protected static void CheckColumnFactors<T>(Block<T> x, double[] factors) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(factors);
        if (factors.Length != x.Cols)
            throw new ArgumentException($"ScaleColumns: {factors.Length} factors for {x.Cols} columns.", nameof(factors));
        if (Array.FindIndex(factors, v => !double.IsFinite(v)) is var bad and >= 0)
            throw new ArgumentOutOfRangeException(nameof(factors), factors[bad], $"ScaleColumns: factor {bad} must be finite.");
    }

    /// <summary>Checks the arguments of <see cref="GatherRows{T}"/>.</summary>
    protected static void CheckGather<T>(Block<T> x, int[] rows, Block<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(rows);
        CheckSameCols(x, dst, nameof(GatherRows));
        if (dst.Rows != rows.Length)
            throw new ArgumentException($"GatherRows: dst has {dst.Rows} rows for {rows.Length} indices.", nameof(dst));
        if (Array.FindIndex(rows, r => r < 0 || r >= x.Rows) is var bad and >= 0)
            throw new ArgumentOutOfRangeException(nameof(rows), rows[bad], $"GatherRows: row index {bad} is outside [0, {x.Rows}).");
    }

    /// <summary>Checks the shapes every implementation relies on.</summary>
    protected static void CheckSameCols<T>(Block<T> a, Block<T> b, string what) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (a.Cols != b.Cols)
            throw new ArgumentException($"{what}: vector lengths differ ({a.Cols} vs {b.Cols}).");
    }
}
