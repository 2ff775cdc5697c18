// TapeEntry: one recorded operation — its name, inputs, outputs and its backward rule (a typed closure over what the forward saved).
using System.Numerics;

namespace NcutKernels.Autodiff;

/// <summary>
/// One operation on the tape. <see cref="Backward"/> reverses it: it reads the outputs' gradients and what the forward kept
/// (captured, typed, when the operation was recorded) and adds (+=) into the gradients of the inputs that require one.
/// <see cref="Op"/> names the operation for messages. <see cref="BatchBackward"/>, when given, reverses it for several cotangents
/// at once (<see cref="Tape{T}.Gradients"/>); without it a batched backward runs <see cref="Backward"/> once per cotangent.
/// <see cref="RowPreserving"/>: row i of the output depends on row i of input 0 only (gradient rows map one to one).
/// </summary>
internal sealed record TapeEntry<T>(string Op, Variable<T>[] Inputs, Variable<T>[] Outputs, Action<TapeEntry<T>> Backward,
    Action<TapeEntry<T>, TapeLanes<T>>? BatchBackward = null, bool RowPreserving = false)
    where T : unmanaged, IFloatingPointIeee754<T>;
