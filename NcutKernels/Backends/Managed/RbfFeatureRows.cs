// RbfFeatureRows: the RBF affinity backward's last step X̄_i += −(1/σ²)·Σ_j S_ij·(x_i − x_j) over row blocks of S, by centred products or direct differences.
using NcutKernels.Core;

namespace NcutKernels.Backends.Managed;

/// <summary>
/// X̄_i += −(1/σ²)·Σ_j S_ij·(x_i − x_j), the last step of the RBF affinity's backward, for blocks of up to four rows of S
/// (docs/MATH.md). Where the forward's Gram expansion is safe (<see cref="AffinityMath.UsesDirectDifferences"/>) it runs as
/// rowsum(S)_i·x_i − (S·X)_i with X centred (4×2 dot products); otherwise — rows far from each other relative to σ, tiny σ —
/// from the differences x_i − x_j themselves, skipping the pairs with S_ij = 0 (all but the near ones there): exact zeros for
/// duplicates instead of the rounding of a difference of large products, which 1/σ² would magnify.
/// </summary>
internal sealed class RbfFeatureRows
{
    private readonly double[] _x, _xt;
    private readonly int _n, _d;
    private readonly double _inv;

    /// <summary>Prepares x (n×d row-major, float64) for σ.</summary>
    public RbfFeatureRows(double[] x, int n, int d, double sigma)
    {
        (_n, _d, _inv) = (n, d, 1 / (sigma * sigma));
        var xc = (double[])x.Clone();
        ManagedBackend.CenterColumns(xc, n, d);
        double maxSquaredNorm = 0;
        for (int i = 0; i < n; i++)
            maxSquaredNorm = Math.Max(maxSquaredNorm, SimdMath.Dot<double>(xc.AsSpan(i * d, d), xc.AsSpan(i * d, d)));
        Direct = AffinityMath.UsesDirectDifferences(AffinityKind.Rbf, maxSquaredNorm, 1 / (2 * sigma * sigma));
        _x = Direct ? x : xc;
        _xt = Direct ? [] : new double[d * n];
        if (!Direct)
            for (int i = 0; i < n; i++)
                for (int c = 0; c < d; c++)
                    _xt[c * n + i] = xc[i * d + c];
    }

    /// <summary>True when the sums run over the differences (see the class summary).</summary>
    public bool Direct { get; }

    /// <summary>
    /// gx rows [i0, i0 + rows) (rows ≤ 4) += −(1/σ²)·Σ_j S_ij·(x_i − x_j), S row q of the block at s[offset + q·n]
    /// (four rows present: a ragged last block repeats its last row).
    /// </summary>
    public void Accumulate(double[] s, int offset, int i0, int rows, double[] gx) =>
        Accumulate(s, offset, [i0, i0 + 1, i0 + 2, i0 + 3], rows, gx);

    /// <summary>As <see cref="Accumulate(double[], int, int, int, double[])"/> for the block's rows <paramref name="rowIndex"/>[q], q &lt; rows (any rows of X).</summary>
    public void Accumulate(double[] s, int offset, ReadOnlySpan<int> rowIndex, int rows, double[] gx)
    {
        int n = _n, d = _d;
        var acc = new double[4 * d];
        if (Direct)
        {
            for (int q = 0; q < rows; q++)
            {
                var row = s.AsSpan(offset + q * n, n);
                var xi = _x.AsSpan(rowIndex[q] * d, d);
                var sum = acc.AsSpan(q * d, d);
                for (int j = 0; j < n; j++)
                {
                    double sij = row[j];
                    if (sij == 0)
                        continue;
                    SimdMath.MultiplyAddDifference<double>(sij, xi, _x.AsSpan(j * d, d), sum);
                }
            }
        }
        else
        {
            Span<double> dots = stackalloc double[8];
            for (int c = 0; c < d; c += 2)
            {
                int c1 = Math.Min(c + 1, d - 1);
                SimdKernels.Dot4x2(s, offset, offset + n, offset + 2 * n, offset + 3 * n, _xt, c * n, c1 * n, n, dots);
                for (int q = 0; q < 4; q++)
                {
                    acc[q * d + c] = -dots[2 * q];
                    acc[q * d + c1] = -dots[2 * q + 1];
                }
            }
            for (int q = 0; q < rows; q++)
            {
                double rowSum = SimdMath.Sum<double>(s.AsSpan(offset + q * n, n));
                for (int c = 0; c < d; c++)
                    acc[q * d + c] += rowSum * _x[rowIndex[q] * d + c];
            }
        }
        for (int q = 0; q < rows; q++)
            for (int c = 0; c < d; c++)
                gx[rowIndex[q] * d + c] += -_inv * acc[q * d + c];
    }
}
