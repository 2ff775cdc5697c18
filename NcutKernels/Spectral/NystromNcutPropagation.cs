// NystromNcutPropagation: one propagation pass of a fitted NystromNcut — anchors and values on the device, rows in, embedding rows out (classic extension finished on the device).
using System.Numerics;
using NcutKernels.Backends;
using NcutKernels.Runtime;

namespace NcutKernels.Spectral;

public sealed partial class NystromNcut
{
    /// <summary>
    /// The device side of <see cref="Propagator"/> for one transform: anchors (a×d) and values uploaded once, and for the
    /// classic extension a scratch of chunk×(k+1) sums that <see cref="Backend.FinishClassic{T}"/> turns into rows.
    /// </summary>
    private sealed class PropagationRun<T> : IDisposable where T : unmanaged, IFloatingPointIeee754<T>
    {
        private readonly Propagator _p;
        private readonly Backend _backend;
        private readonly DeviceMatrix<T> _anchors;
        private readonly DeviceMatrix<T> _values = null!;
        private readonly DeviceMatrix<T>? _sums;
        private readonly DistancePrecision _precision;

        public PropagationRun(NystromNcut owner, Propagator p, int chunkRows)
        {
            _p = p;
            _backend = owner._device.Backend;
            _precision = owner.Nystrom.DistancePrecision;
            int a = p.Rows.Length, width = p.Values.Length / a;
            _anchors = DeviceMatrix<T>.Upload(owner._device, As<T>(p.Anchors), a, p.Anchors.Length / a);
            try
            {
                _values = DeviceMatrix<T>.Upload(owner._device, Narrow<T>(p.Values), a, width);
                if (p.Classic)
                    _sums = DeviceMatrix<T>.Allocate(owner._device, Math.Max(1, chunkRows), width);
            }
            catch
            {
                _anchors.Dispose();
                _values?.Dispose();
                throw;
            }
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

        public void Dispose()
        {
            _anchors.Dispose();
            _values.Dispose();
            _sums?.Dispose();
        }
    }
}
