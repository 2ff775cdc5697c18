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

    /// <summary>
    /// The gradients of several scalar losses with respect to <paramref name="input"/> in one reverse pass (a batched VJP):
    /// result c is dLoss_c/dInput, the same values as <see cref="Backward"/> from loss c alone would leave in a zeroed
    /// <see cref="Variable{T}.Gradient"/>. Operations with a batched rule (the fused embedding: one block CG for every loss,
    /// the affinity backward per loss) reverse all losses together; the others run once per loss. When
    /// <paramref name="rows"/> is given, result c is only required to be right at the rows <paramref name="rows"/>[c] (every
    /// other row of it may be zero): operations reached from the input through row-preserving operations compute just those rows.
    /// Gradients already held by variables (<see cref="Variable{T}.Gradient"/>) are left as they were.
    /// </summary>
    public IReadOnlyList<T[,]> Gradients(IReadOnlyList<Variable<T>> losses, Variable<T> input, IReadOnlyList<int[]>? rows = null)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(losses);
        Check(input, nameof(input));
        if (losses.Count == 0)
            throw new ArgumentException("losses must name at least one loss.", nameof(losses));
        for (int c = 0; c < losses.Count; c++)
        {
            Check(losses[c], $"{nameof(losses)}[{c}]");
            if (losses[c].Rows != 1 || losses[c].Cols != 1)
                throw new ArgumentException($"losses[{c}] must be 1×1, got {losses[c].Rows}×{losses[c].Cols}.", nameof(losses));
        }
        if (!input.RequiresGrad)
            throw new ArgumentException("input does not require a gradient.", nameof(input));
        if (rows is not null)
        {
            if (rows.Count != losses.Count)
                throw new ArgumentException($"rows has {rows.Count} entries for {losses.Count} losses.", nameof(rows));
            for (int c = 0; c < rows.Count; c++)
            {
                if (rows[c] is null)
                    throw new ArgumentNullException(nameof(rows), $"rows[{c}] is null.");
                int bad = Array.FindIndex(rows[c], r => (uint)r >= (uint)input.Rows);
                if (bad >= 0)
                    throw new ArgumentOutOfRangeException(nameof(rows), rows[c][bad], $"rows[{c}][{bad}] is outside [0, {input.Rows}).");
            }
        }
        return new BatchedBackward(this, losses, input, rows).Run();
    }

    /// <summary>One run of <see cref="Gradients"/>: per-lane gradients kept beside the variables, swapped in for per-lane rules.</summary>
    private sealed class BatchedBackward(Tape<T> tape, IReadOnlyList<Variable<T>> losses, Variable<T> input, IReadOnlyList<int[]>? rows)
    {
        private readonly int _count = losses.Count;
        private readonly Dictionary<Variable<T>, double[]?[]> _lanes = new(ReferenceEqualityComparer.Instance);

        private double[]?[] Of(Variable<T> v) => _lanes.TryGetValue(v, out var g) ? g : _lanes[v] = new double[]?[_count];

        private double[] Accumulate(Variable<T> v, int lane) => Of(v)[lane] ??= new double[v.Value.Length];

        public IReadOnlyList<T[,]> Run()
        {
            for (int c = 0; c < _count; c++)
                if (losses[c].RequiresGrad)
                    Accumulate(losses[c], c)[0] += 1;
            // Variables whose gradient rows map one to one onto the input's.
            var rowVariables = new HashSet<Variable<T>>(ReferenceEqualityComparer.Instance) { input };
            foreach (var entry in tape._entries)
                if (entry.RowPreserving && rowVariables.Contains(entry.Inputs[0]))
                    rowVariables.UnionWith(entry.Outputs);
            var held = new Dictionary<Variable<T>, double[]?>(ReferenceEqualityComparer.Instance);
            try
            {
                for (int e = tape._entries.Count - 1; e >= 0; e--)
                {
                    var entry = tape._entries[e];
                    var active = Enumerable.Range(0, _count).Where(c => entry.Outputs.Any(o => _lanes.TryGetValue(o, out var g) && g[c] is not null)).ToArray();
                    if (active.Length == 0)
                        continue;
                    if (entry.BatchBackward is { } batch)
                    {
                        bool restricted = rows is not null && rowVariables.Contains(entry.Inputs[0]);
                        batch(entry, new TapeLanes<T>(entry, active, (v, c) => _lanes.TryGetValue(v, out var g) ? g[c] : null, Accumulate,
                            c => restricted ? rows![c] : null));
                        continue;
                    }
                    foreach (var v in entry.Inputs.Concat(entry.Outputs))
                        held.TryAdd(v, v.Grad);
                    foreach (int c in active)
                    {
                        foreach (var o in entry.Outputs)
                            o.Grad = _lanes.TryGetValue(o, out var g) ? g[c] : null;
                        foreach (var i in entry.Inputs)
                            i.Grad = _lanes.TryGetValue(i, out var g) ? g[c] : null;
                        entry.Backward(entry);
                        foreach (var i in entry.Inputs)
                            if (i.Grad is not null)
                                Of(i)[c] = i.Grad;
                    }
                }
            }
            finally
            {
                foreach (var (v, g) in held)
                    v.Grad = g;
            }
            var result = new T[_count][,];
            for (int c = 0; c < _count; c++)
            {
                var g = _lanes.TryGetValue(input, out var all) ? all[c] : null;
                var m = new T[input.Rows, input.Cols];
                if (g is not null)
                    for (int i = 0; i < input.Rows; i++)
                        for (int j = 0; j < input.Cols; j++)
                            m[i, j] = T.CreateChecked(g[(long)i * input.Cols + j]);
                result[c] = m;
            }
            return result;
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
    /// entry with its <paramref name="backward"/> rule (required: an operation without one cannot be recorded), its optional
    /// batched rule and whether it preserves rows (<see cref="TapeEntry{T}"/>). Returns the outputs in order.
    /// </summary>
    internal Variable<T>[] Record(string op, Variable<T>[] inputs, DeviceMatrix<T>[] outputs, Action<TapeEntry<T>> backward,
        Action<TapeEntry<T>, TapeLanes<T>>? batchBackward = null, bool rowPreserving = false)
    {
        ArgumentNullException.ThrowIfNull(backward);
        bool grad = IsRecording && inputs.Any(i => i.RequiresGrad);
        var outs = outputs.Select(o => Add(o, grad, op, leaf: false)).ToArray();
        if (grad)
            _entries.Add(new TapeEntry<T>(op, inputs, outs, backward, batchBackward, rowPreserving));
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
