// Variable: a value on the tape (device matrix) with its gradient, accumulated by Tape.Backward.
using System.Numerics;
using System.Runtime.InteropServices;
using NcutKernels.Runtime;

namespace NcutKernels.Autodiff;

/// <summary>
/// A matrix recorded on a <see cref="Tape{T}"/>: its value lives on the tape's device; its gradient
/// (same shape) is allocated on first accumulation during <see cref="Tape{T}.Backward"/>.
/// </summary>
public sealed class Variable<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private double[]? _value;

    internal Variable(Tape<T> tape, DeviceMatrix<T> value, bool requiresGrad, string origin, bool leaf)
    {
        Tape = tape;
        Value = value;
        RequiresGrad = requiresGrad;
        Origin = origin;
        IsLeaf = leaf;
    }

    /// <summary>True for an input or constant (its gradient accumulates over backward passes); false for an operation's output.</summary>
    internal bool IsLeaf { get; }

    /// <summary>The tape that owns this variable.</summary>
    public Tape<T> Tape { get; }

    /// <summary>The value (owned and freed by the tape).</summary>
    public DeviceMatrix<T> Value { get; }

    /// <summary>Rows of the value.</summary>
    public int Rows => Value.Rows;

    /// <summary>Columns of the value.</summary>
    public int Cols => Value.Cols;

    /// <summary>True when a gradient flows to this variable.</summary>
    public bool RequiresGrad { get; }

    /// <summary>The operation that produced it ("input", "constant", or an op name).</summary>
    public string Origin { get; }

    /// <summary>dLoss/dValue after <see cref="Tape{T}.Backward"/> (zeros where the loss does not depend on it).</summary>
    /// <exception cref="InvalidOperationException">The variable does not require a gradient.</exception>
    public T[,] Gradient
    {
        get
        {
            if (!RequiresGrad)
                throw new InvalidOperationException($"This {Origin} variable was created without requiresGrad, so it has no gradient.");
            Tape.ThrowIfDisposed();
            var g = new T[Rows, Cols];
            if (Grad is { } acc)
            {
                // Row blocks in parallel: an n×d input gradient is millions of conversions.
                const int rowsPerBlock = 256;
                int cols = Cols;
                Parallel.For(0, (Rows + rowsPerBlock - 1) / rowsPerBlock, block =>
                {
                    var flat = MemoryMarshal.CreateSpan(ref g[0, 0], g.Length);
                    for (long e = (long)block * rowsPerBlock * cols, end = Math.Min(acc.LongLength, e + (long)rowsPerBlock * cols); e < end; e++)
                        flat[(int)e] = T.CreateChecked(acc[e]);
                });
            }
            return g;
        }
    }

    /// <summary>
    /// Resets the accumulated gradient to zero, so that the next <see cref="Tape{T}.Backward"/> starts afresh
    /// (input gradients otherwise accumulate over backward passes, as in PyTorch).
    /// </summary>
    public void ZeroGrad()
    {
        Tape.ThrowIfDisposed();
        Grad = null;
    }

    /// <summary>The value downloaded as a host array.</summary>
    public T[,] ToArray()
    {
        Tape.ThrowIfDisposed();
        return Value.Download();
    }

    /// <summary>Accumulated gradient, row-major float64 (null until something flows in).</summary>
    internal double[]? Grad { get; set; }

    /// <summary>The value as row-major float64 on the host (downloaded once, then cached; values never change).</summary>
    internal double[] Host
    {
        get
        {
            if (_value is null)
            {
                var t = new T[Value.Length];
                Value.Download(t);
                _value = t.Select(double.CreateChecked).ToArray();
            }
            return _value;
        }
    }

    /// <summary>Drops the gradient (intermediate values start every backward pass from zero).</summary>
    internal void ClearGrad() => Grad = null;

    /// <summary>Gradient buffer for accumulation (+=), allocated on first use.</summary>
    internal double[] GradForAccumulation() => Grad ??= new double[Value.Length];
}
