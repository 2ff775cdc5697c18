// Tape: the Wengert list of a reverse-mode computation — records operations, runs their backward rules in reverse, owns every intermediate.
using System.Numerics;
using NcutKernels.Runtime;

namespace NcutKernels.Autodiff;

/// <summary>
/// Reverse-mode automatic differentiation by an explicit tape. Operations on <see cref="Variable{T}"/>s
/// (for instance <c>TapeOps</c> and <c>Ncut.FitTransform(Variable)</c>) append entries; <see cref="Backward"/>
/// seeds d loss / d loss = 1 and walks the entries in reverse, each rule adding (+=) into its inputs'
/// gradients. The tape owns every value it created and frees them on <see cref="Dispose"/>.
/// </summary>
/// <typeparam name="T"><c>float</c> or <c>double</c> (gradient checks use double on <see cref="DeviceKind.Cpu"/>).</typeparam>
public sealed class Tape<T> : IDisposable where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly List<TapeEntry<T>> _entries = [];
    private readonly List<Variable<T>> _variables = [];
    private int _noGradDepth;
    private bool _disposed;

    /// <summary>Creates an empty tape on <paramref name="device"/>.</summary>
    public Tape(ComputeDevice device)
    {
        ArgumentNullException.ThrowIfNull(device);
        device.ThrowIfDisposed();
        ComputeDevice.ThrowIfNotFloatingPoint<T>(nameof(Tape<T>));
        Device = device;
    }

    /// <summary>The device every value of the tape lives on.</summary>
    public ComputeDevice Device { get; }

    /// <summary>Number of recorded operations.</summary>
    public int Count => _entries.Count;

    /// <summary>False inside a <see cref="NoGrad"/> scope.</summary>
    public bool IsRecording => _noGradDepth == 0;

    /// <summary>An input value (copied to the device); gradients flow to it when <paramref name="requiresGrad"/>.</summary>
    public Variable<T> Input(T[,] value, bool requiresGrad = true)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(value);
        if (value.Length == 0)
            throw new ArgumentException($"value must be non-empty, got {value.GetLength(0)}×{value.GetLength(1)}.", nameof(value));
        return Add(DeviceMatrix<T>.Upload(Device, value), requiresGrad, requiresGrad ? "input" : "constant", leaf: true);
    }

    /// <summary>A constant: no gradient flows to it.</summary>
    public Variable<T> Constant(T[,] value) => Input(value, requiresGrad: false);

    /// <summary>Inside the returned scope operations are computed but not recorded (their outputs need no gradient).</summary>
    public IDisposable NoGrad()
    {
        ThrowIfDisposed();
        _noGradDepth++;
        return new Scope(this);
    }

    /// <summary>
    /// Back-propagates from the scalar <paramref name="loss"/> (1×1): afterwards every variable that
    /// requires a gradient holds dLoss/dVariable in <see cref="Variable{T}.Gradient"/>. Gradients of inputs
    /// accumulate over repeated calls; those of intermediate values are recomputed by each call.
    /// </summary>
    public void Backward(Variable<T> loss)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(loss);
        if (loss.Tape != this)
            throw new ArgumentException("loss belongs to another tape.", nameof(loss));
        if (loss.Rows != 1 || loss.Cols != 1)
            throw new ArgumentException($"loss must be 1×1, got {loss.Rows}×{loss.Cols}.", nameof(loss));
        if (!loss.RequiresGrad)
            throw new ArgumentException("loss does not depend on any variable that requires a gradient.", nameof(loss));
        foreach (var v in _variables.Where(v => !v.IsLeaf))
            v.ClearGrad();
        loss.GradForAccumulation()[0] += 1;
        for (int e = _entries.Count - 1; e >= 0; e--)
        {
            var entry = _entries[e];
            if (entry.Outputs.All(o => o.Grad is null))
                continue;
            entry.Backward(entry);
        }
    }

    /// <summary>Frees every value the tape created. Variables of a disposed tape throw <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        foreach (var v in _variables)
            v.Value.Dispose();
        _variables.Clear();
        _entries.Clear();
    }

    internal void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    /// <summary>Wraps a value the tape now owns.</summary>
    internal Variable<T> Add(DeviceMatrix<T> value, bool requiresGrad, string origin, bool leaf)
    {
        var v = new Variable<T>(this, value, requiresGrad, origin, leaf);
        _variables.Add(v);
        return v;
    }

    /// <summary>Checks that <paramref name="v"/> is a live variable of this tape.</summary>
    internal void Check(Variable<T> v, string name)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(v, name);
        if (v.Tape != this)
            throw new ArgumentException($"{name} belongs to another tape.", name);
    }

    /// <summary>
    /// Creates the output of operation <paramref name="op"/> and, when recording and an input needs a gradient, records the
    /// entry with its <paramref name="backward"/> rule (required: an operation without one cannot be recorded). Returns the
    /// outputs in order.
    /// </summary>
    internal Variable<T>[] Record(string op, Variable<T>[] inputs, DeviceMatrix<T>[] outputs, Action<TapeEntry<T>> backward)
    {
        ArgumentNullException.ThrowIfNull(backward);
        bool grad = IsRecording && inputs.Any(i => i.RequiresGrad);
        var outs = outputs.Select(o => Add(o, grad, op, leaf: false)).ToArray();
        if (grad)
            _entries.Add(new TapeEntry<T>(op, inputs, outs, backward));
        return outs;
    }

    private sealed class Scope(Tape<T> tape) : IDisposable
    {
        private bool _closed;

        public void Dispose()
        {
            if (!_closed)
                tape._noGradDepth--;
            _closed = true;
        }
    }
}
