// TapeOps: the small differentiable operations (matmul, gather, abs, square, scale, multiply, add, sums and means) — each forward beside its backward (+= into input gradients).
using System.Numerics;
using NcutKernels.Autodiff;
using NcutKernels.Core;
using NcutKernels.Runtime;

namespace NcutKernels.Ops;

/// <summary>
/// Differentiable matrix operations on a <see cref="Tape{T}"/>. Values are computed on the host in
/// float64 and stored on the tape's device; each operation's backward rule sits right below it and is
/// recorded with it (a typed closure over what it saved).
/// </summary>
public static class TapeOps
{
    private static Variable<T> Output<T>(Tape<T> tape, string op, Variable<T>[] inputs, double[] value, int rows, int cols, Action<TapeEntry<T>> backward)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var m = DeviceMatrix<T>.Upload(tape.Device, value.Select(T.CreateChecked).ToArray(), rows, cols);
        return tape.Record(op, inputs, [m], backward)[0];
    }

    private static void Accumulate(double[] into, double[] add)
    {
        for (int i = 0; i < into.Length; i++)
            into[i] += add[i];
    }

    // ---- matmul: C = A·B --------------------------------------------------------------------------------

    /// <summary>C = A·B (A: m×p, B: p×q; either may be a constant).</summary>
    public static Variable<T> MatMul<T>(this Tape<T> tape, Variable<T> a, Variable<T> b) where T : unmanaged, IFloatingPointIeee754<T>
    {
        tape.Check(a, nameof(a));
        tape.Check(b, nameof(b));
        if (a.Cols != b.Rows)
            throw new ArgumentException($"MatMul: a is {a.Rows}×{a.Cols} but b is {b.Rows}×{b.Cols}.", nameof(b));
        return Output(tape, "matmul", [a, b], Gemm(a.Host, b.Host, a.Rows, a.Cols, b.Cols, false, false), a.Rows, b.Cols, MatMulBackward);
    }

    /// <summary>Ā += C̄·Bᵀ, B̄ += Aᵀ·C̄.</summary>
    internal static void MatMulBackward<T>(TapeEntry<T> e) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (a, b, c) = (e.Inputs[0], e.Inputs[1], e.Outputs[0]);
        var g = c.Grad!;
        if (a.RequiresGrad)
            Accumulate(a.GradForAccumulation(), Gemm(g, b.Host, a.Rows, b.Cols, a.Cols, false, true));
        if (b.RequiresGrad)
            Accumulate(b.GradForAccumulation(), Gemm(a.Host, g, a.Cols, a.Rows, b.Cols, true, false));
    }

    /// <summary>op(A)·op(B) for row-major A, B: result r×c with inner dimension p.</summary>
    internal static double[] Gemm(double[] a, double[] b, int r, int p, int c, bool transA, bool transB)
    {
        var result = new double[r * c];
        Parallel.For(0, r, i =>
        {
            for (int l = 0; l < p; l++)
            {
                double av = transA ? a[l * r + i] : a[i * p + l];
                if (av == 0)
                    continue;
                for (int j = 0; j < c; j++)
                    result[i * c + j] += av * (transB ? b[j * p + l] : b[l * c + j]);
            }
        });
        return result;
    }

    // ---- gather: rows of A ------------------------------------------------------------------------------

    /// <summary>The rows of <paramref name="a"/> listed in <paramref name="rows"/> (a mask is a gather of its true rows).</summary>
    public static Variable<T> GatherRows<T>(this Tape<T> tape, Variable<T> a, int[] rows) where T : unmanaged, IFloatingPointIeee754<T>
    {
        tape.Check(a, nameof(a));
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.Length == 0)
            throw new ArgumentException("rows must not be empty.", nameof(rows));
        foreach (int r in rows)
            if (r < 0 || r >= a.Rows)
                throw new ArgumentOutOfRangeException(nameof(rows), r, $"Row index outside 0..{a.Rows - 1}.");
        var v = new double[rows.Length * a.Cols];
        for (int i = 0; i < rows.Length; i++)
            Array.Copy(a.Host, (long)rows[i] * a.Cols, v, (long)i * a.Cols, a.Cols);
        var kept = rows.ToArray();
        return Output(tape, "gather", [a], v, rows.Length, a.Cols, e => GatherRowsBackward(e, kept));
    }

    internal static void GatherRowsBackward<T>(TapeEntry<T> e, int[] rows) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (a, o) = (e.Inputs[0], e.Outputs[0]);
        var ga = a.GradForAccumulation();
        var g = o.Grad!;
        for (int i = 0; i < rows.Length; i++)
            for (int j = 0; j < a.Cols; j++)
                ga[(long)rows[i] * a.Cols + j] += g[(long)i * a.Cols + j];
    }

    // ---- element-wise -----------------------------------------------------------------------------------

    /// <summary>|A| element-wise (the derivative at 0 is taken as 0).</summary>
    public static Variable<T> Abs<T>(this Tape<T> tape, Variable<T> a) where T : unmanaged, IFloatingPointIeee754<T>
    {
        tape.Check(a, nameof(a));
        return Output(tape, "abs", [a], a.Host.Select(Math.Abs).ToArray(), a.Rows, a.Cols, AbsBackward);
    }

    internal static void AbsBackward<T>(TapeEntry<T> e) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (a, g) = (e.Inputs[0], e.Outputs[0].Grad!);
        var ga = a.GradForAccumulation();
        for (int i = 0; i < ga.Length; i++)
            ga[i] += Math.Sign(a.Host[i]) * g[i];
    }

    /// <summary>A² element-wise.</summary>
    public static Variable<T> Square<T>(this Tape<T> tape, Variable<T> a) where T : unmanaged, IFloatingPointIeee754<T>
    {
        tape.Check(a, nameof(a));
        return Output(tape, "square", [a], a.Host.Select(v => v * v).ToArray(), a.Rows, a.Cols, SquareBackward);
    }

    internal static void SquareBackward<T>(TapeEntry<T> e) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (a, g) = (e.Inputs[0], e.Outputs[0].Grad!);
        var ga = a.GradForAccumulation();
        for (int i = 0; i < ga.Length; i++)
            ga[i] += 2 * a.Host[i] * g[i];
    }

    /// <summary>c·A.</summary>
    public static Variable<T> Scale<T>(this Tape<T> tape, Variable<T> a, double c) where T : unmanaged, IFloatingPointIeee754<T>
    {
        tape.Check(a, nameof(a));
        if (!double.IsFinite(c))
            throw new ArgumentOutOfRangeException(nameof(c), c, "Scale factor must be finite.");
        var m = DeviceMatrix<T>.Upload(tape.Device, a.Host.Select(v => T.CreateChecked(c * v)).ToArray(), a.Rows, a.Cols);
        return tape.Record("scale", [a], [m], e => ScaleBackward(e, c), rowPreserving: true)[0];
    }

    /// <summary>
    /// Ā += c·C̄; an <see cref="ArithmeticException"/> when that leaves a NaN or ±∞ in Ā (c·C̄ beyond float64: Ncut's exact 2^−e
    /// rescale of extreme features returns its gradient through this op, and a gradient that large cannot be represented).
    /// </summary>
    internal static void ScaleBackward<T>(TapeEntry<T> e, double c) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (a, g) = (e.Inputs[0], e.Outputs[0].Grad!);
        var ga = a.GradForAccumulation();
        for (int i = 0; i < ga.Length; i++)
            ga[i] += c * g[i];
        long bad = FiniteScan.FirstNonFinite<double>(ga);
        if (bad >= 0)
            throw new ArithmeticException($"The backward of scale by {c:G6} produced a non-finite gradient {ga[bad]} at row {bad / a.Cols}, " +
                $"column {bad % a.Cols} (the gradient exceeds float64's range).");
    }

    /// <summary>A∘B element-wise (same shapes).</summary>
    public static Variable<T> Multiply<T>(this Tape<T> tape, Variable<T> a, Variable<T> b) where T : unmanaged, IFloatingPointIeee754<T>
    {
        tape.Check(a, nameof(a));
        tape.Check(b, nameof(b));
        SameShape(a, b);
        return Output(tape, "multiply", [a, b], a.Host.Zip(b.Host, (p, q) => p * q).ToArray(), a.Rows, a.Cols, MultiplyBackward);
    }

    internal static void MultiplyBackward<T>(TapeEntry<T> e) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (a, b, g) = (e.Inputs[0], e.Inputs[1], e.Outputs[0].Grad!);
        if (a.RequiresGrad)
        {
            var ga = a.GradForAccumulation();
            for (int i = 0; i < ga.Length; i++)
                ga[i] += b.Host[i] * g[i];
        }
        if (b.RequiresGrad)
        {
            var gb = b.GradForAccumulation();
            for (int i = 0; i < gb.Length; i++)
                gb[i] += a.Host[i] * g[i];
        }
    }

    /// <summary>A + B (same shapes).</summary>
    public static Variable<T> Add<T>(this Tape<T> tape, Variable<T> a, Variable<T> b) where T : unmanaged, IFloatingPointIeee754<T>
    {
        tape.Check(a, nameof(a));
        tape.Check(b, nameof(b));
        SameShape(a, b);
        return Output(tape, "add", [a, b], a.Host.Zip(b.Host, (p, q) => p + q).ToArray(), a.Rows, a.Cols, AddBackward);
    }

    internal static void AddBackward<T>(TapeEntry<T> e) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var g = e.Outputs[0].Grad!;
        foreach (var input in e.Inputs.Where(i => i.RequiresGrad))
            Accumulate(input.GradForAccumulation(), g);
    }

    private static void SameShape<T>(Variable<T> a, Variable<T> b) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (a.Rows != b.Rows || a.Cols != b.Cols)
            throw new ArgumentException($"Shapes differ: {a.Rows}×{a.Cols} and {b.Rows}×{b.Cols}.", nameof(b));
    }

    // ---- reductions -------------------------------------------------------------------------------------

    /// <summary>Σ of all entries (1×1).</summary>
    public static Variable<T> Sum<T>(this Tape<T> tape, Variable<T> a) where T : unmanaged, IFloatingPointIeee754<T>
    {
        tape.Check(a, nameof(a));
        return Output(tape, "sum", [a], [a.Host.Sum()], 1, 1, e => SumBackward(e, 1.0));
    }

    /// <summary>Mean of all entries (1×1).</summary>
    public static Variable<T> Mean<T>(this Tape<T> tape, Variable<T> a) where T : unmanaged, IFloatingPointIeee754<T>
    {
        tape.Check(a, nameof(a));
        double c = 1.0 / a.Host.Length;
        return Output(tape, "mean", [a], [a.Host.Sum() / a.Host.Length], 1, 1, e => SumBackward(e, c));
    }

    /// <summary>∂(c·Σ a)/∂a = c (sum and mean share this rule).</summary>
    internal static void SumBackward<T>(TapeEntry<T> e, double c) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (a, g) = (e.Inputs[0], e.Outputs[0].Grad![0]);
        var ga = a.GradForAccumulation();
        for (int i = 0; i < ga.Length; i++)
            ga[i] += c * g;
    }

    /// <summary>Per-column sums (1×cols).</summary>
    public static Variable<T> SumColumns<T>(this Tape<T> tape, Variable<T> a) where T : unmanaged, IFloatingPointIeee754<T>
    {
        tape.Check(a, nameof(a));
        return Output(tape, "sum-columns", [a], ColumnSums(a.Host, a.Rows, a.Cols, 1.0), 1, a.Cols, e => SumColumnsBackward(e, 1.0));
    }

    /// <summary>Per-column means (1×cols).</summary>
    public static Variable<T> MeanColumns<T>(this Tape<T> tape, Variable<T> a) where T : unmanaged, IFloatingPointIeee754<T>
    {
        tape.Check(a, nameof(a));
        double c = 1.0 / a.Rows;
        return Output(tape, "mean-columns", [a], ColumnSums(a.Host, a.Rows, a.Cols, c), 1, a.Cols, e => SumColumnsBackward(e, c));
    }

    private static double[] ColumnSums(double[] a, int rows, int cols, double c)
    {
        var s = new double[cols];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++)
                s[j] += c * a[(long)i * cols + j];
        return s;
    }

    /// <summary>Each entry of column j receives c·ḡ_j.</summary>
    internal static void SumColumnsBackward<T>(TapeEntry<T> e, double c) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (a, g) = (e.Inputs[0], e.Outputs[0].Grad!);
        var ga = a.GradForAccumulation();
        for (int i = 0; i < a.Rows; i++)
            for (int j = 0; j < a.Cols; j++)
                ga[(long)i * a.Cols + j] += c * g[j];
    }
}
