// TapeLanes: the gradients of several cotangents at one entry of a batched backward — what a batched rule reads and adds into.
using System.Numerics;

namespace NcutKernels.Autodiff;

/// <summary>
/// One entry's view of a batched backward (<see cref="Tape{T}.Gradients"/>): the lanes (cotangents) that reach it, each lane's
/// output gradients and input gradients (allocated on first use, accumulated with +=), and the rows of input 0 each lane needs
/// (null: every row) when input 0 reaches the differentiated input through row-preserving operations only.
/// </summary>
internal sealed class TapeLanes<T>(TapeEntry<T> entry, int[] active, Func<Variable<T>, int, double[]?> get, Func<Variable<T>, int, double[]> accumulate,
    Func<int, int[]?> rows) where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>The lanes with a gradient at one of the entry's outputs, ascending.</summary>
    public IReadOnlyList<int> Active { get; } = active;

    /// <summary>Lane <paramref name="lane"/>'s gradient of output <paramref name="output"/> (null: none reached it).</summary>
    public double[]? Output(int lane, int output) => get(entry.Outputs[output], lane);

    /// <summary>Lane <paramref name="lane"/>'s gradient of input <paramref name="input"/>, to add into.</summary>
    public double[] Input(int lane, int input) => accumulate(entry.Inputs[input], lane);

    /// <summary>The rows of input 0 whose gradient lane <paramref name="lane"/> needs (others may be left as they are), or null for all.</summary>
    public int[]? Rows(int lane) => rows(lane);
}
