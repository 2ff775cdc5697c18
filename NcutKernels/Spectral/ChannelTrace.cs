// ChannelTrace: the result of channel tracing — k-way labels and scores, and per cluster the channels ranked by their gradient.
using NcutKernels.Solvers;

namespace NcutKernels.Spectral;

/// <summary>
/// One cluster's channel attribution. With L_c = −mean over the cluster's points of |score_c| (the tutorial's
/// objective) and G = ∂L_c/∂X, per channel j:
/// <see cref="MeanGradient"/>[j] = mean over the cluster's points i of G_ij, and
/// <see cref="MeanAbsGradient"/>[j] = mean of |G_ij|.
/// <see cref="BySigned"/> ranks channels by −MeanGradient, largest first: raising those channels on the cluster's
/// points makes the cluster's score stronger (the channels that "make" the segment).
/// <see cref="ByMagnitude"/> ranks by MeanAbsGradient, largest first: channels the score is most sensitive to,
/// in either direction (a channel that must stay low to keep the segment ranks here but not in BySigned).
/// </summary>
/// <param name="Cluster">Cluster index (column of the k-way scores).</param>
/// <param name="Points">Rows of the features assigned to this cluster (argmax of the scores).</param>
/// <param name="Objective">L_c at the features.</param>
/// <param name="MeanGradient">Per channel mean of ∂L_c/∂X over the cluster's points.</param>
/// <param name="MeanAbsGradient">Per channel mean of |∂L_c/∂X| over the cluster's points.</param>
/// <param name="BySigned">Channels by −MeanGradient, descending.</param>
/// <param name="ByMagnitude">Channels by MeanAbsGradient, descending.</param>
/// <param name="Gradient">Diagnostics of this cluster's eigen backward (CG iterations, residual, smallest gap).</param>
public sealed record ClusterTrace(int Cluster, int[] Points, double Objective, double[] MeanGradient, double[] MeanAbsGradient,
    int[] BySigned, int[] ByMagnitude, EigenGradientReport? Gradient)
{
    /// <summary>−MeanGradient[channel]: positive when raising the channel strengthens the cluster.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="channel"/> is not a channel index.</exception>
    public double Importance(int channel) => (uint)channel < (uint)MeanGradient.Length
        ? -MeanGradient[channel]
        : throw new ArgumentOutOfRangeException(nameof(channel), channel, $"channel must be in 0..{MeanGradient.Length - 1}.");
}

/// <summary>Channel tracing of one feature matrix: the embedding, the k-way clusters and one <see cref="ClusterTrace"/> per non-empty cluster.</summary>
public sealed class ChannelTrace
{
    internal ChannelTrace(double[,] eigenvectors, int[] labels, double[,] scores, double[,] rotation, double[] eigenvalues, double sigma,
        IReadOnlyList<ClusterTrace> clusters, double forwardMs, double backwardMs)
    {
        Eigenvectors = eigenvectors;
        Labels = labels;
        Scores = scores;
        Rotation = rotation;
        Eigenvalues = eigenvalues;
        Sigma = sigma;
        Clusters = clusters;
        ForwardMs = forwardMs;
        BackwardMs = backwardMs;
    }

    /// <summary>The embedding U (n × eigenvectors), with the sign convention of <see cref="Ncut"/>.</summary>
    public double[,] Eigenvectors { get; }

    /// <summary>Hard cluster of each point: argmax over the k-way scores.</summary>
    public int[] Labels { get; }

    /// <summary>k-way scores U·R (n × clusters).</summary>
    public double[,] Scores { get; }

    /// <summary>The rotation R (eigenvectors × clusters) fitted without gradient.</summary>
    public double[,] Rotation { get; }

    /// <summary>Eigenvalues of the embedding, descending.</summary>
    public double[] Eigenvalues { get; }

    /// <summary>σ of the affinity.</summary>
    public double Sigma { get; }

    /// <summary>One entry per non-empty cluster, in cluster order.</summary>
    public IReadOnlyList<ClusterTrace> Clusters { get; }

    /// <summary>Milliseconds of the forward pass (embedding + k-way fit).</summary>
    public double ForwardMs { get; }

    /// <summary>Milliseconds of all backward passes together.</summary>
    public double BackwardMs { get; }
}
