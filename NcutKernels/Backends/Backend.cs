// Backend: the primitive operations every algorithm (affinity, normalization, Lanczos) is written against.
using System.Numerics;
using NcutKernels.Runtime;
using NcutKernels.Spectral;

namespace NcutKernels.Backends;

/// <summary>
/// One set of primitives, several implementations (managed CPU, ILGPU on CUDA or on ILGPU's CPU
/// accelerator). Tall vectors are stored as rows of a <see cref="Block{T}"/> (contiguous, length n);
/// small dense factors (≤ a few hundred) live on the host in float64.
/// Every output is overwritten (=) unless the method says it accumulates.
/// </summary>
internal abstract class Backend : IDisposable
{
    /// <summary>Allocates a zero-filled buffer.</summary>
    public abstract DeviceStorage<T> Allocate<T>(long length) where T : unmanaged;

    /// <summary>w (n×n) = affinity of the rows of x (n×d). scale = 1/(2σ²).</summary>
    public abstract void Affinity<T>(Block<T> x, DeviceMatrix<T> w, AffinityKind kind, double scale) where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>sums (1×n) = row sums of w (n×n).</summary>
    public abstract void RowSums<T>(DeviceMatrix<T> w, Block<T> sums) where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>w = diag(d)^-1/2 · w · diag(d)^-1/2 + shift·I in place, d = degrees (1×n).</summary>
    public abstract void Normalize<T>(DeviceMatrix<T> w, Block<T> degrees, double shift) where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>y (b×n) = (m · vᵀ)ᵀ for symmetric m (n×n) and v (b×n): one pass over m for the whole block.</summary>
    public abstract void SymmetricProduct<T>(DeviceMatrix<T> m, Block<T> v, Block<T> y) where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>Returns G (p×q, float64 accumulation) with G[r, c] = a_r · b_c for a (p×n), b (q×n).</summary>
    public abstract double[,] InnerProducts<T>(Block<T> a, Block<T> b) where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>dst_c = beta·dst_c + Σ_r s[r, c]·a_r for dst (q×n), a (p×n), s (p×q); dst must not overlap a.</summary>
    public abstract void Combine<T>(Block<T> dst, double beta, Block<T> a, double[,] s) where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>
    /// The fused backward of RBF affinity → normalization (MATH.md; <see cref="Solvers.NcutBackward"/>): from the eigen
    /// adjoint M̄ = ½(Y·Uᵀ + U·Yᵀ), accumulates (+=) into gx (n×d, float64) the gradient with respect to the features,
    /// X̄ += −(1/σ²)·(diag(S·1) − S)·X, S_ij = (2·M̄_ij·s_i·s_j + d̄_i + d̄_j)·W_ij, without forming W̄ or M̄.
    /// x (n×d) the features, w (n×n) their RBF affinity, degrees d = W·1, y and u n×k row-major float64, σ the affinity's.
    /// </summary>
    public abstract void AccumulateRbfEmbeddingGradient<T>(Block<T> x, DeviceMatrix<T> w, double[] degrees, double[] y, double[] u, double sigma,
        double[] gx) where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>dst = src (same shape).</summary>
    public abstract void Copy<T>(Block<T> src, Block<T> dst) where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>Waits for queued work.</summary>
    public abstract void Synchronize();

    /// <summary>Releases the backend's resources.</summary>
    public abstract void Dispose();

    /// <summary>Checks that the coefficients of <see cref="Combine{T}"/> are p×q.</summary>
    protected static void CheckCoefficients(double[,] s, int p, int q)
    {
        if (s.GetLength(0) != p || s.GetLength(1) != q)
            throw new ArgumentException($"Combine: coefficients are {s.GetLength(0)}×{s.GetLength(1)}, expected {p}×{q}.");
    }

    /// <summary>Checks the shapes of <see cref="AccumulateRbfEmbeddingGradient{T}"/>; returns k.</summary>
    protected static int CheckEmbeddingGradient<T>(Block<T> x, DeviceMatrix<T> w, double[] degrees, double[] y, double[] u, double[] gx)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = x.Rows, k = u.Length / n;
        if (w.Rows != n || w.Cols != n || degrees.Length != n || u.Length != n * k || y.Length != u.Length || gx.Length != x.Length)
            throw new ArgumentException($"AccumulateRbfEmbeddingGradient: shapes disagree (x {n}×{x.Cols}, w {w.Rows}×{w.Cols}, degrees {degrees.Length}, " +
                $"u {u.Length}, y {y.Length}, gx {gx.Length}).");
        return k;
    }

    /// <summary>Checks the shapes every implementation relies on.</summary>
    protected static void CheckSameCols<T>(Block<T> a, Block<T> b, string what) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (a.Cols != b.Cols)
            throw new ArgumentException($"{what}: vector lengths differ ({a.Cols} vs {b.Cols}).");
    }
}
