// NystromNcutPropagation: one propagation pass of a fitted NystromNcut — rows in, embedding rows out on the device; each propagation method's pass lives beside its preparation (NystromNcutClassic, NystromNcutNearest).
using System.Numerics;
using NcutKernels.Backends;
using NcutKernels.Runtime;

namespace NcutKernels.Spectral;

public sealed partial class NystromNcut
{
    /// <summary>One transform's propagation on the device over the resident fit's anchors and values.</summary>
    private abstract class PropagationRun<T>(NystromNcut owner, Resident<T> resident, Propagator p) : IDisposable
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        protected Propagator P { get; } = p;
        protected Backend Backend { get; } = owner._device.Backend;
        protected DistancePrecision Precision { get; } = owner.Nystrom.DistancePrecision;
        protected DeviceMatrix<T> Anchors { get; } = resident.AnchorMatrix;
        protected DeviceMatrix<T> Values { get; } = resident.Values ?? throw new InvalidOperationException("The propagation has not been prepared.");

        /// <summary>output (rows×k) = the embedding rows of x (rows×d), both on the device.</summary>
        public abstract void Propagate(Block<T> x, Block<T> output);

        public virtual void Dispose()
        {
        }
    }

    /// <summary>The pass of the prepared propagation (<see cref="ClassicRun{T}"/> or <see cref="NearestRun{T}"/>), for at most <paramref name="chunkRows"/> rows at a time.</summary>
    private PropagationRun<T> StartRun<T>(Resident<T> resident, int chunkRows) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var p = _propagator ?? throw new InvalidOperationException("The propagation has not been prepared.");
        return p.Classic ? new ClassicRun<T>(this, resident, p, chunkRows) : new NearestRun<T>(this, resident, p);
    }

    /// <summary>
    /// The distance arithmetic on a tape: <see cref="NystromOptions.DistancePrecision"/>, except that TF32 becomes 3xTF32 — the
    /// backward recomputes each row's neighbours in float64, and TF32 distances would let the forward pick a different
    /// near-tied neighbour in ~1 % of rows.
    /// </summary>
    private DistancePrecision TapePrecision => Nystrom.DistancePrecision == DistancePrecision.Tf32 ? DistancePrecision.Tf32x3 : Nystrom.DistancePrecision;
}
