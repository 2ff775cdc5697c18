// TapeEntry: one recorded operation — its name, inputs, outputs and its backward rule (a typed closure over what the forward saved).
using System.Numerics;

namespace NcutKernels.Autodiff;

/// <summary>
/// One operation on the tape. <see cref="Backward"/> reverses it: it reads the outputs' gradients and what the forward kept
/// (captured, typed, when the operation was recorded) and adds (+=) into the gradients of the inputs that require one.
/// <see cref="Op"/> names the operation for messages.
/// </summary>
internal sealed record TapeEntry<T>(string Op, Variable<T>[] Inputs, Variable<T>[] Outputs, Action<TapeEntry<T>> Backward)
    where T : unmanaged, IFloatingPointIeee754<T>;
