// RowPartitions: a deterministic parallel reduction over rows — fixed contiguous partitions, one accumulator each, added in partition order.
namespace NcutKernels.Ops;

/// <summary>
/// Runs a per-row body over [0, n) in at most <see cref="Count"/> contiguous partitions (boundaries on multiples of
/// <see cref="Granule"/> rows), each with an accumulator of its own, and adds the accumulators in partition order. The
/// partition count is a constant, so the sums depend neither on thread scheduling nor on the machine's core count.
/// </summary>
internal static class RowPartitions
{
    /// <summary>Partitions at most (each holds one accumulator).</summary>
    public const int Count = 8;

    /// <summary>Partition boundaries fall on multiples of this many rows.</summary>
    public const int Granule = 16;

    /// <summary>
    /// <paramref name="row"/>(i, acc) for every row i, partitions in parallel; returns the first partition's accumulator with
    /// the others added into it in order by <paramref name="add"/>(into, other).
    /// </summary>
    public static TAcc Sum<TAcc>(int n, Func<TAcc> create, Action<int, TAcc> row, Action<TAcc, TAcc> add)
    {
        int granules = (n + Granule - 1) / Granule, parts = Math.Max(1, Math.Min(Count, granules));
        var partials = new TAcc[parts];
        Parallel.For(0, parts, q =>
        {
            var acc = create();
            int g0 = (int)((long)granules * q / parts), g1 = (int)((long)granules * (q + 1) / parts);
            for (int i = g0 * Granule, i1 = Math.Min(n, g1 * Granule); i < i1; i++)
                row(i, acc);
            partials[q] = acc;
        });
        for (int q = 1; q < parts; q++)
            add(partials[0], partials[q]);
        return partials[0];
    }

    /// <summary>into += add, element by element (the accumulators' merge).</summary>
    public static void Add(double[] into, double[] add)
    {
        for (long e = 0; e < into.Length; e++)
            into[e] += add[e];
    }
}
