// PropagationMethod: how a Nyström fit carries the landmark eigenvectors to every point — the contract each method (ClassicExtension, NearestAnchorPropagation) fills with its preparation, its device pass and its taped op.
using System.Numerics;
using NcutKernels.Autodiff;
using NcutKernels.Backends;
using NcutKernels.Core;
using NcutKernels.Runtime;

namespace NcutKernels.Spectral;

/// <summary>
/// A prepared propagation: anchor positions among the landmarks, anchor degrees (null: renormalized weights; all ones for the
/// classic extension), bandwidth, neighbour count (every anchor for the classic extension), whether it is the classic
/// extension, and its residual over the landmarks (0 over every landmark; NaN for the nearest-anchor propagations). Its
/// anchors and values live on the device (<see cref="NystromResident{T}"/>).
/// </summary>
internal sealed record PropagationPlan(int[] Rows, double[]? Degrees, double Sigma, int Neighbours, bool Classic, double Residual);

/// <summary>
/// One propagation method of <see cref="NystromNcut"/> (<see cref="NystromPropagation"/>), chosen once per instance by
/// <see cref="For"/>: it prepares its anchors and values from a fitted landmark graph and leaves them on the device
/// (<see cref="Prepare{T}"/>), propagates rows there (<see cref="Start{T}"/>), and records the same map on a tape
/// (<see cref="Record{T}"/>), where the landmark eigenvectors, eigenvalues and features are variables.
/// </summary>
internal abstract class PropagationMethod(ComputeDevice device, NcutOptions options, NystromOptions nystrom)
{
    /// <summary>The device the fit runs on.</summary>
    protected ComputeDevice Device { get; } = device;

    /// <summary>The embedding settings.</summary>
    protected NcutOptions Options { get; } = options;

    /// <summary>The sampling and propagation settings.</summary>
    protected NystromOptions Nystrom { get; } = nystrom;

    /// <summary>The method for <paramref name="kind"/>.</summary>
    public static PropagationMethod For(NystromPropagation kind, ComputeDevice device, NcutOptions options, NystromOptions nystrom) => kind switch
    {
        NystromPropagation.Classic => new ClassicExtension(device, options, nystrom),
        NystromPropagation.Renormalized => new RenormalizedPropagation(device, options, nystrom),
        NystromPropagation.NcutPytorch => new NcutPytorchPropagation(device, options, nystrom),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Not a propagation method."),
    };

    /// <summary>
    /// What the method keeps from the raw landmark affinity <paramref name="rawAffinity"/> (m×m, before normalizing) of a fit on
    /// n = <paramref name="points"/>; the landmark solve completes it and hands it to <see cref="Prepare{T}"/>. Null: nothing.
    /// </summary>
    public virtual LandmarkCapture<T>? Capture<T>(DeviceMatrix<T> rawAffinity, int points) where T : unmanaged, IFloatingPointIeee754<T> => null;

    /// <summary>
    /// Prepares the propagation from the fitted landmarks and leaves its anchors and values on the device
    /// (<see cref="NystromResident{T}.SetPropagation"/>). <paramref name="capture"/> (owned from here on): what
    /// <see cref="Capture{T}"/> kept during the fit, or null when the fit did not run it (an exact or differentiable fit's first transform).
    /// </summary>
    public abstract PropagationPlan Prepare<T>(NystromFit fit, NystromResident<T> resident, LandmarkCapture<T>? capture) where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>A pass of the prepared propagation over at most <paramref name="chunkRows"/> rows at a time (the caller disposes it).</summary>
    public abstract PropagationRun<T> Start<T>(NystromResident<T> resident, PropagationPlan plan, int chunkRows) where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>
    /// The propagation of every row of <paramref name="x"/> recorded on its tape, from the landmark features
    /// <paramref name="xl"/>, eigenvectors <paramref name="ul"/> and eigenvalues <paramref name="lam"/> of a landmark graph with
    /// bandwidth <paramref name="sigma"/>: returns the n×k embedding (signs not yet fixed).
    /// </summary>
    public abstract Variable<T> Record<T>(Tape<T> tape, Variable<T> x, Variable<T> xl, Variable<T> ul, Variable<T> lam, double sigma)
        where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>
    /// The distance arithmetic on a tape: <see cref="NystromOptions.DistancePrecision"/>, except that TF32 becomes 3xTF32 — the
    /// backward recomputes each row's neighbours in float64, and TF32 distances would let the forward pick a different
    /// near-tied neighbour in ~1 % of rows.
    /// </summary>
    protected DistancePrecision TapePrecision => Nystrom.DistancePrecision == DistancePrecision.Tf32 ? DistancePrecision.Tf32x3 : Nystrom.DistancePrecision;
}

/// <summary>
/// What a propagation method keeps from the landmark graph while the fit solves it: taken from the raw affinity
/// (<see cref="PropagationMethod.Capture{T}"/>), completed from the normalized one (<see cref="Complete"/>), then consumed by
/// <see cref="PropagationMethod.Prepare{T}"/>. Holds device memory until disposed.
/// </summary>
internal abstract class LandmarkCapture<T> : IDisposable where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>
    /// Completes the capture after the solve: <paramref name="normalized"/> the normalized landmark affinity (diagonal shift
    /// included), <paramref name="vectors"/> the solver's eigenvectors (k×m) with their column <paramref name="signs"/>, the
    /// eigenvalues (shift removed) and the landmark degrees.
    /// </summary>
    public abstract void Complete(DeviceMatrix<T> normalized, DeviceMatrix<T> vectors, double[] signs, double[] eigenvalues, double[] degrees);

    /// <summary>Frees the device memory the capture holds.</summary>
    public abstract void Dispose();
}

/// <summary>One transform's propagation on the device over the resident fit's anchors and values.</summary>
internal abstract class PropagationRun<T>(ComputeDevice device, DistancePrecision precision, NystromResident<T> resident, PropagationPlan plan) : IDisposable
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>The prepared propagation.</summary>
    protected PropagationPlan Plan { get; } = plan;

    /// <summary>The backend the pass runs on.</summary>
    protected Backend Backend { get; } = device.Backend;

    /// <summary>The distance arithmetic (<see cref="NystromOptions.DistancePrecision"/>).</summary>
    protected DistancePrecision Precision { get; } = precision;

    /// <summary>The anchors (a×d) on the device.</summary>
    protected DeviceMatrix<T> Anchors { get; } = resident.AnchorMatrix;

    /// <summary>The values propagated from the anchors (a×columns) on the device.</summary>
    protected DeviceMatrix<T> Values { get; } = resident.Values ?? throw new InvalidOperationException("The propagation has not been prepared.");

    /// <summary>output (rows×k) = the embedding rows of x (rows×d), both on the device.</summary>
    public abstract void Propagate(Block<T> x, Block<T> output);

    /// <summary>Frees the pass's scratch, if any.</summary>
    public virtual void Dispose()
    {
    }
}
