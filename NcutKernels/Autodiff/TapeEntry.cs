// TapeEntry: one recorded operation — its name, inputs, outputs and what its backward rule needs.
using System.Numerics;

namespace NcutKernels.Autodiff;

/// <summary>One operation on the tape: the rule named <see cref="Op"/> in <see cref="BackwardRules{T}"/> reverses it.</summary>
internal sealed record TapeEntry<T>(string Op, Variable<T>[] Inputs, Variable<T>[] Outputs, object? Saved)
    where T : unmanaged, IFloatingPointIeee754<T>;
