// Row8: eight float accumulators kept in registers by register-blocked kernels (value type, no state).
using System.Runtime.CompilerServices;

namespace NcutKernels.Kernels;

/// <summary>Eight floats that ILGPU keeps in registers: one row of a thread's register block.</summary>
internal struct Row8
{
    public float V0, V1, V2, V3, V4, V5, V6, V7;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Row8(float v0, float v1, float v2, float v3, float v4, float v5, float v6, float v7)
    {
        V0 = v0; V1 = v1; V2 = v2; V3 = v3; V4 = v4; V5 = v5; V6 = v6; V7 = v7;
    }

    /// <summary>Returns acc + a·b element-wise.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Row8 Fma(Row8 acc, float a, Row8 b) => new(
        acc.V0 + a * b.V0, acc.V1 + a * b.V1, acc.V2 + a * b.V2, acc.V3 + a * b.V3,
        acc.V4 + a * b.V4, acc.V5 + a * b.V5, acc.V6 + a * b.V6, acc.V7 + a * b.V7);

    /// <summary>Returns acc + (a − b)² element-wise.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Row8 AddSquaredDifferences(Row8 acc, float a, Row8 b)
    {
        float t0 = a - b.V0, t1 = a - b.V1, t2 = a - b.V2, t3 = a - b.V3, t4 = a - b.V4, t5 = a - b.V5, t6 = a - b.V6, t7 = a - b.V7;
        return new Row8(acc.V0 + t0 * t0, acc.V1 + t1 * t1, acc.V2 + t2 * t2, acc.V3 + t3 * t3,
            acc.V4 + t4 * t4, acc.V5 + t5 * t5, acc.V6 + t6 * t6, acc.V7 + t7 * t7);
    }

    /// <summary>Element p (0..7); p is a compile-time constant in unrolled callers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly float Get(int p) => p switch
    {
        0 => V0, 1 => V1, 2 => V2, 3 => V3, 4 => V4, 5 => V5, 6 => V6, _ => V7,
    };
}
