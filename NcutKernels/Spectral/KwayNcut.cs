// KwayNcut: k-way discretization of Ncut eigenvectors: fit a rotation (axis alignment or spherical k-means), then score and label rows.
using System.Numerics;
using NcutKernels.Autodiff;
using NcutKernels.Ops;

namespace NcutKernels.Spectral;

/// <summary>
/// Turns n×m Ncut eigenvectors into k clusters, as ncut_pytorch's <c>kway_ncut</c> / <c>axis_align</c> and
/// <c>quick_kway</c> do. <see cref="Fit{T}"/> uses the first c columns (c = k for axis alignment; see
/// <see cref="KwayOptions.EigenvectorCount"/>), takes a seeded row sample when n exceeds
/// <see cref="KwayOptions.SampleSize"/>, normalizes the sampled rows to unit length (a zero row stays zero: the
/// norm is floored at 1e-12) and fits the c×k rotation R in float64. <see cref="Transform{T}(T[,], bool)"/>
/// returns the scores U[:, :c]·R — rows not normalized unless asked, as ncut_pytorch's <c>kway_ncut</c> and
/// <c>kway_transform</c> do (labels are the same either way, since argmax ignores a positive row scale);
/// <see cref="Labels{T}"/> takes each row's argmax.
/// </summary>
/// <remarks>
/// Differentiable use: fit R without gradient, then <see cref="Transform{T}(Tape{T}, Variable{T})"/> records
/// U·R on the tape (ncut_pytorch's channel-tracing tutorial computes <c>eigvec @ R</c> with R fitted under
/// no-grad); gradients flow to U, R is a constant. Row normalization has no differentiable op, so the tape path
/// never normalizes.
/// <para>
/// Differences from ncut_pytorch, all for determinism or exactness: farthest-point walks start at the first
/// candidate row (fpsample starts at a random one) and the k starting rows are found exactly, without the 8-d
/// projection ncut_pytorch applies to walks over more than 8 columns; axis alignment iterates in float64 (not
/// float32) and always applies its last Procrustes update, so R is orthogonal to rounding; spherical k-means
/// stops at the first repeated assignment (a fixed point: the same R as running on); the uniform sample for
/// k-means is drawn with <see cref="Random"/> from <see cref="KwayOptions.Seed"/>, not torch.randperm.
/// </para>
/// </remarks>
public sealed class KwayNcut
{
    private double[,]? _rotation;

    /// <summary>Creates a discretization with <paramref name="options"/> (defaults when null); invalid options throw here.</summary>
    public KwayNcut(KwayOptions? options = null)
    {
        Options = options ?? new KwayOptions();
        Options.Validate();
    }

    /// <summary>The settings.</summary>
    public KwayOptions Options { get; }

    /// <summary>True once <see cref="Fit{T}"/> has run.</summary>
    public bool IsFitted => _rotation is not null;

    /// <summary>A copy of the fitted rotation R (c×k, float64): orthogonal for axis alignment, unit columns for spherical k-means.</summary>
    /// <exception cref="InvalidOperationException">Not fitted yet.</exception>
    public double[,] Rotation => (double[,])Fitted().Clone();

    /// <summary>Iterations the last fit ran (rotation updates for axis alignment, k-means updates for spherical k-means).</summary>
    public int Iterations { get; private set; }

    /// <summary>Whether the last fit converged before <see cref="KwayOptions.MaxIterations"/>.</summary>
    public bool Converged { get; private set; }

    /// <summary>
    /// Fits R on <paramref name="eigenvectors"/> (n×m, n ≥ k rows, m ≥ c columns, finite) and returns a copy of it
    /// (c×k, float64). The same input and options give a bit-identical R.
    /// </summary>
    public double[,] Fit<T>(T[,] eigenvectors) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int k = Options.ClusterCount;
        int c = ColumnsUsed(eigenvectors);
        int n = eigenvectors.GetLength(0);
        if (n < k)
            throw new ArgumentException($"eigenvectors has {n} rows, fewer than ClusterCount k = {k}.", nameof(eigenvectors));
        int[] rows = SampleRows(eigenvectors, n, c);
        int m = rows.Length;
        var x = new double[(long)m * c];
        Parallel.For(0, m, i =>
        {
            for (int a = 0; a < c; a++)
                x[(long)i * c + a] = double.CreateChecked(eigenvectors[rows[i], a]);
        });
        KwayRotation.NormalizeRows(x, m, c);
        var (rotation, iterations, converged) = Options.Method == KwayMethod.AxisAlign
            ? AxisAlignment.Fit(x, m, c, Options.MaxIterations ?? 1000, Options.Tolerance)
            : SphericalKMeans.Fit(x, m, c, k, Options.MaxIterations ?? 300);
        _rotation = rotation;
        Iterations = iterations;
        Converged = converged;
        return Rotation;
    }

    /// <summary>
    /// Scores U[:, :c]·R (n×k) for <paramref name="eigenvectors"/> (n×m, m ≥ c, finite), computed in float64.
    /// With <paramref name="normalizeRows"/> the rows of U[:, :c] are first divided by max(‖row‖, 1e-12), so for
    /// axis alignment the scores are cosines (ncut_pytorch's <c>kway_transform(normalize=True)</c>).
    /// </summary>
    public T[,] Transform<T>(T[,] eigenvectors, bool normalizeRows = false) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var r = Fitted();
        int c = r.GetLength(0), k = r.GetLength(1);
        CheckColumns(eigenvectors, c);
        int n = eigenvectors.GetLength(0);
        var scores = new T[n, k];
        Parallel.For(0, n, () => new double[c], (i, _, row) =>
        {
            double norm = 0;
            for (int a = 0; a < c; a++)
            {
                row[a] = double.CreateChecked(eigenvectors[i, a]);
                norm += row[a] * row[a];
            }
            double scale = normalizeRows ? 1 / Math.Max(Math.Sqrt(norm), KwayRotation.NormFloor) : 1;
            for (int j = 0; j < k; j++)
            {
                double sum = 0;
                for (int a = 0; a < c; a++)
                    sum += row[a] * r[a, j];
                scores[i, j] = T.CreateChecked(sum * scale);
            }
            return row;
        }, _ => { });
        return scores;
    }

    /// <summary>
    /// Differentiable scores: records U·P on <paramref name="tape"/>, where P (m×k) is R over m − c zero rows, so the
    /// result is U[:, :c]·R (rows not normalized) and dLoss/dU flows back through it; R itself is a constant.
    /// </summary>
    public Variable<T> Transform<T>(Tape<T> tape, Variable<T> eigenvectors) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(tape);
        ArgumentNullException.ThrowIfNull(eigenvectors);
        tape.Check(eigenvectors, nameof(eigenvectors));
        var r = Fitted();
        int c = r.GetLength(0), k = r.GetLength(1);
        if (eigenvectors.Cols < c)
            throw new ArgumentException($"eigenvectors has {eigenvectors.Cols} columns; the rotation needs at least {c}.", nameof(eigenvectors));
        var padded = new T[eigenvectors.Cols, k];
        for (int a = 0; a < c; a++)
            for (int j = 0; j < k; j++)
                padded[a, j] = T.CreateChecked(r[a, j]);
        return tape.MatMul(eigenvectors, tape.Constant(padded));
    }

    /// <summary><see cref="Fit{T}"/> then <see cref="Transform{T}(T[,], bool)"/> on the same eigenvectors (rows not normalized).</summary>
    public T[,] FitTransform<T>(T[,] eigenvectors) where T : unmanaged, IFloatingPointIeee754<T>
    {
        Fit(eigenvectors);
        return Transform(eigenvectors);
    }

    /// <summary>Cluster labels in [0, k): the argmax of each row of the scores of <paramref name="eigenvectors"/>.</summary>
    public int[] Predict<T>(T[,] eigenvectors) where T : unmanaged, IFloatingPointIeee754<T> => Labels(Transform(eigenvectors));

    /// <summary>Each row's argmax (ties to the lowest column) of <paramref name="scores"/> (n×k, non-empty, finite).</summary>
    public static int[] Labels<T>(T[,] scores) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(scores);
        if (scores.Length == 0)
            throw new ArgumentException($"scores must be non-empty, got {scores.GetLength(0)}×{scores.GetLength(1)}.", nameof(scores));
        ThrowIfNotFinite(scores, scores.GetLength(1), nameof(scores));
        int n = scores.GetLength(0), k = scores.GetLength(1);
        var labels = new int[n];
        for (int i = 0; i < n; i++)
            for (int j = 1; j < k; j++)
                if (scores[i, j] > scores[i, labels[i]])
                    labels[i] = j;
        return labels;
    }

    /// <summary>A copy of R converted to <typeparamref name="T"/>, e.g. for <c>tape.MatMul(u, tape.Constant(kway.RotationAs&lt;float&gt;()))</c>.</summary>
    /// <exception cref="InvalidOperationException">Not fitted yet.</exception>
    public T[,] RotationAs<T>() where T : unmanaged, IFloatingPointIeee754<T>
    {
        var r = Fitted();
        var converted = new T[r.GetLength(0), r.GetLength(1)];
        for (int a = 0; a < r.GetLength(0); a++)
            for (int j = 0; j < r.GetLength(1); j++)
                converted[a, j] = T.CreateChecked(r[a, j]);
        return converted;
    }

    private double[,] Fitted() =>
        _rotation ?? throw new InvalidOperationException("The k-way rotation is not fitted: call Fit first.");

    /// <summary>c for this input: validates shape and finiteness of the columns used.</summary>
    private int ColumnsUsed<T>(T[,] eigenvectors) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(eigenvectors);
        int m = eigenvectors.GetLength(1);
        int c = Options.EigenvectorCount ?? (Options.Method == KwayMethod.AxisAlign ? Options.ClusterCount : m);
        if (eigenvectors.Length != 0 && c < 2)
            throw new ArgumentException($"eigenvectors has {m} column; k-way discretization needs at least 2.", nameof(eigenvectors));
        CheckColumns(eigenvectors, c);
        return c;
    }

    private void CheckColumns<T>(T[,] eigenvectors, int c) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(eigenvectors);
        int n = eigenvectors.GetLength(0), m = eigenvectors.GetLength(1);
        if (eigenvectors.Length == 0)
            throw new ArgumentException($"eigenvectors must be non-empty, got {n}×{m}.", nameof(eigenvectors));
        if (m < c)
            throw new ArgumentException(
                $"eigenvectors has {m} columns, but {Options.Method} with ClusterCount k = {Options.ClusterCount} uses {c}.", nameof(eigenvectors));
        ThrowIfNotFinite(eigenvectors, c, nameof(eigenvectors));
    }

    private static void ThrowIfNotFinite<T>(T[,] a, int columns, string name) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < a.GetLength(0); i++)
            for (int j = 0; j < columns; j++)
                if (!T.IsFinite(a[i, j]))
                    throw new ArgumentException($"{name} has a non-finite value {a[i, j]} at row {i}, column {j}.", name);
    }

    /// <summary>
    /// The rows R is fitted on: all when n ≤ SampleSize; else axis alignment takes a farthest-point sample of the
    /// (unnormalized) rows and spherical k-means a uniform one without replacement, both seeded.
    /// </summary>
    private int[] SampleRows<T>(T[,] eigenvectors, int n, int c) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (Options.SampleSize is not { } size || n <= size)
            return Enumerable.Range(0, n).ToArray();
        if (Options.Method == KwayMethod.SphericalKMeans)
        {
            var random = new Random(Options.Seed);
            var order = Enumerable.Range(0, n).ToArray();
            for (int i = 0; i < size; i++)
            {
                int j = random.Next(i, n);
                (order[i], order[j]) = (order[j], order[i]);
            }
            return order[..size];
        }
        var all = new double[(long)n * c];
        Parallel.For(0, n, i =>
        {
            for (int a = 0; a < c; a++)
                all[(long)i * c + a] = double.CreateChecked(eigenvectors[i, a]);
        });
        return FarthestPointSampling.Sample(all, n, c, size, Options.Seed);
    }
}
