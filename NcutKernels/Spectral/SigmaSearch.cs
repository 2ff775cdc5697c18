// SigmaSearch: the σ rule's search (doubling, then bisection to within 1 % of the target, replayed step by step over σ evaluated in batches), refined to the root.
using System.Runtime.InteropServices;
using NcutKernels.Backends;

namespace NcutKernels.Spectral;

internal static partial class SigmaSelection
{
    /// <summary>
    /// σ from σ0 and the subset's affinity row sums: the target is the <paramref name="quantile"/> of the per-node mean affinities
    /// at σ0; from σ = 0.5, σ doubles until the mean of all affinities passes the target, then bisects until the mean is within
    /// 1 % of it (at most <see cref="MaxSteps"/> steps), then refines σ to where the mean equals the target (<see cref="Refine"/>).
    /// The steps are taken one by one, as written; only where the σ values
    /// are evaluated changes: σ0 comes with the first step's σ, and when <see cref="IAffinityRowSums.Lookahead"/> L exceeds 1,
    /// each call evaluates every σ the search could ask for next — first the doubling chain up to 2·σ0, later every σ the next
    /// L steps could reach (≤ 2^L − 1) — so a device makes a few round trips instead of one per step. A σ's mean does not depend
    /// on which batch evaluated it, so the result equals the one-σ-per-call search exactly.
    /// </summary>
    internal static double Search(IAffinityRowSums affinity, int m, double sigma0, double quantile)
    {
        var means = new Dictionary<double, double>();
        var first = new List<double> { sigma0, InitialSigma };
        if (affinity.Lookahead > 1)
            while (first[^1] < 2 * sigma0 && first.Count <= MaxSteps + 1)
                first.Add(first[^1] * 2);
        var sums = Evaluate(affinity, first, m, means);
        var degrees = new double[m];
        for (int i = 0; i < m; i++)
            degrees[i] = sums[i] / m;
        double target = Quantile(degrees, quantile);

        double sigma = InitialSigma, low = 0, high = double.PositiveInfinity;
        double current = Mean(affinity, m, means, sigma, low, high);
        for (int step = 0; step < MaxSteps && Math.Abs(current - target) > RelativeTolerance * target; step++)
        {
            if (current > target)
            {
                high = sigma;
                sigma = (low + sigma) / 2;
            }
            else
            {
                low = sigma;
                sigma = double.IsPositiveInfinity(high) ? sigma * 2 : (sigma + high) / 2;
            }
            current = Mean(affinity, m, means, sigma, low, high);
        }
        return Refine(affinity, m, means, target, sigma, current);
    }

    /// <summary>Relative distance to the target at which <see cref="Refine"/> stops: 1e-12.</summary>
    internal const double RootTolerance = 1e-12;

    /// <summary>
    /// The root of mean(σ) = target near <paramref name="sigma"/> (mean <paramref name="current"/>): bracketed by halving or
    /// doubling σ, then Illinois regula falsi on ln σ until the mean is within <see cref="RootTolerance"/> of the target or the
    /// bracket is ~1e-13 wide. ncut_pytorch stops within 1 % of the target, so its σ depends on where the search started and on
    /// the powers of two it visited, not only on the data: the root is unique (the mean affinity grows strictly with σ), so
    /// σ(c·x) = c·σ(x) up to rounding for every c > 0, and it lies inside ncut_pytorch's 1 % band.
    /// </summary>
    private static double Refine(IAffinityRowSums affinity, int m, Dictionary<double, double> means, double target, double sigma, double current)
    {
        double At(double s)
        {
            if (!means.TryGetValue(s, out double mean))
            {
                Evaluate(affinity, [s], m, means);
                mean = means[s];
            }
            return mean - target;
        }
        double lo = sigma, hi = sigma, glo = current - target, ghi = glo;
        for (int step = 0; glo > 0 && step < MaxSteps; step++)
            glo = At(lo /= 2);
        for (int step = 0; ghi < 0 && step < MaxSteps; step++)
            ghi = At(hi *= 2);
        if (glo == 0 || !(glo < 0))
            return lo;
        if (ghi == 0 || !(ghi > 0))
            return hi;
        double xlo = Math.Log(lo), xhi = Math.Log(hi);
        int side = 0;
        for (int step = 0; step < MaxSteps && xhi - xlo > 1e-13; step++)
        {
            double x = (xlo * ghi - xhi * glo) / (ghi - glo);
            if (!(x > xlo && x < xhi))
                x = 0.5 * (xlo + xhi);
            double s = Math.Exp(x), g = At(s);
            if (Math.Abs(g) <= RootTolerance * target)
                return s;
            if (g < 0)
            {
                (xlo, glo) = (x, g);
                if (side < 0)
                    ghi /= 2;
                side = -1;
            }
            else
            {
                (xhi, ghi) = (x, g);
                if (side > 0)
                    glo /= 2;
                side = 1;
            }
        }
        return Math.Exp(0.5 * (xlo + xhi));
    }

    /// <summary>
    /// The mean affinity at σ (search state low, high): looked up, else evaluated with every σ not yet evaluated that the next
    /// Lookahead steps could reach.
    /// </summary>
    private static double Mean(IAffinityRowSums affinity, int m, Dictionary<double, double> means, double sigma, double low, double high)
    {
        if (!means.TryGetValue(sigma, out double mean))
        {
            Evaluate(affinity, Reachable(sigma, low, high, affinity.Lookahead).FindAll(s => !means.ContainsKey(s)), m, means);
            mean = means[sigma];
        }
        return mean;
    }

    /// <summary>
    /// σ and every σ the next depth − 1 steps could move to from it (breadth first, each value once): above the target the
    /// search moves to (low + σ)/2 with high = σ, below it to 2σ (no upper bound yet) or (σ + high)/2 with low = σ.
    /// </summary>
    private static List<double> Reachable(double sigma, double low, double high, int depth)
    {
        var result = new List<double>();
        var level = new List<(double Sigma, double Low, double High)> { (sigma, low, high) };
        for (int d = 1; ; d++)
        {
            foreach (var (s, _, _) in level)
                if (!result.Contains(s))
                    result.Add(s);
            if (d == depth)
                return result;
            level = level.SelectMany(n => new[]
            {
                ((n.Low + n.Sigma) / 2, n.Low, n.Sigma),
                (double.IsPositiveInfinity(n.High) ? n.Sigma * 2 : (n.Sigma + n.High) / 2, n.Sigma, n.High),
            }).ToList();
        }
    }

    /// <summary>
    /// Row sums at each σ of the batch (one call); records each σ's mean affinity — its m row sums added in row order over m²
    /// — and returns the sums (batch × m).
    /// </summary>
    private static double[] Evaluate(IAffinityRowSums affinity, List<double> batch, int m, Dictionary<double, double> means)
    {
        var sums = new double[batch.Count * m];
        affinity.RowSums(CollectionsMarshal.AsSpan(batch), sums);
        for (int b = 0; b < batch.Count; b++)
        {
            double total = 0;
            for (int i = 0; i < m; i++)
                total += sums[b * m + i];
            means[batch[b]] = total / ((double)m * m);
        }
        return sums;
    }
}
