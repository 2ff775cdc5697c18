// NystromNcutPropagation: one propagation pass of a fitted NystromNcut — the resident anchors and values, rows in, embedding rows out (classic extension finished on the device).
using System.Numerics;
using NcutKernels.Backends;
using NcutKernels.Runtime;

namespace NcutKernels.Spectral;

public sealed partial class NystromNcut
{
    /// <summary>
    /// One transform's propagation on the device: the resident fit's anchors and values, and for the classic extension a
    /// scratch of chunk×(k+1) sums that <see cref="Backend.FinishClassic{T}"/> turns into rows.
    /// </summary>
    private sealed class PropagationRun<T> : IDisposable where T : unmanaged, IFloatingPointIeee754<T>
    {
        private readonly Propagator _p;
        private readonly Backend _backend;
        private readonly DeviceMatrix<T> _anchors;
        private readonly DeviceMatrix<T> _values;
        private readonly DeviceMatrix<T>? _sums;
        private readonly DistancePrecision _precision;

        public PropagationRun(NystromNcut owner, Resident<T> resident, Propagator p, int chunkRows)
        {
            _p = p;
            _backend = owner._device.Backend;
            _precision = owner.Nystrom.DistancePrecision;
            _anchors = resident.AnchorMatrix;
            _values = resident.Values ?? throw new InvalidOperationException("The propagation has not been prepared.");
            if (p.Classic)
                _sums = DeviceMatrix<T>.Allocate(owner._device, Math.Max(1, chunkRows), _values.Cols);
        }

        /// <summary>output (rows×k) = the embedding rows of x (rows×d), both on the device.</summary>
        public void Propagate(Block<T> x, Block<T> output)
        {
            if (_sums is null)
            {
                _backend.PropagateNearest(x, _anchors.All, _values.All, _p.Degrees, _p.Sigma, _p.Neighbours, output, _precision);
                return;
            }
            // Classic: the sums come divided by a (all-ones degrees); FinishClassic gives u = (a·Σ w·v)/√(a·Σ w).
            int a = _p.Rows.Length;
            for (int r0 = 0; r0 < x.Rows; r0 += _sums.Rows)
            {
                int len = Math.Min(_sums.Rows, x.Rows - r0);
                var sums = _sums.RowRange(0, len);
                _backend.PropagateNearest(x with { Row0 = x.Row0 + r0, Rows = len }, _anchors.All, _values.All, _p.Degrees, _p.Sigma, a, sums, _precision);
                _backend.FinishClassic(sums, a, output with { Row0 = output.Row0 + r0, Rows = len });
            }
        }

        public void Dispose() => _sums?.Dispose();
    }
}
