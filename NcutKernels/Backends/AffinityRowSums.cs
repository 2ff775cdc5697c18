// IAffinityRowSums: the σ rule's capability — affinity row sums of a point subset at many σ from pair terms computed once.
namespace NcutKernels.Backends;

/// <summary>Row sums of the affinity of a point subset at any σ, from pair terms computed once.</summary>
internal interface IAffinityRowSums : IDisposable
{
    /// <summary>
    /// How many steps of the σ search to evaluate per call: 1 where each σ costs its own work (the host), more where a call's
    /// round trip outweighs the extra σ (a device: the σ search batches its steps).
    /// </summary>
    int Lookahead { get; }

    /// <summary>
    /// sums[b·m + i] = Σ_j K_{σ_b}(x_i, x_j) over the subset, for each σ_b of <paramref name="sigmas"/> (each σ's sums
    /// independent of the batch).
    /// </summary>
    void RowSums(ReadOnlySpan<double> sigmas, double[] sums);
}
