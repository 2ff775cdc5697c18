// NcutRangeProperties: FsCheck properties of the exact path over random shapes, seeds, scales and degenerate structures (managed CPU device, and the ILGPU direct tile).
using FsCheck;
using FsCheck.Fluent;
using FsCheck.NUnit;
using MathNet.Numerics.LinearAlgebra;
using NcutKernels.Runtime;
using NcutKernels.Spectral;
using NUnit.Framework;
using PropertyAttribute = FsCheck.NUnit.PropertyAttribute;
using NcutKernels.Core;

namespace NcutKernels.Tests.Spectral;

/// <summary>
/// For any finite input the exact path returns finite, orthonormal eigenvectors, eigenvalues sorted descending in [−1, 1]
/// (up to rounding) with λ1 = 1 (every node has W_ii &gt; 0, so each component contributes the eigenvalue 1), the same bits for
/// the same seed, and — for c·X with σ scaled alike — the embedding of X. Cases: n 3..60, d 1..12, k &lt; n, features quantized
/// to 1/64 below 2^11 in five structures (blobs, duplicated rows, zero columns, clusters 1024 apart, all rows equal), scaled by
/// 2^e (float64: e in [−1060, 1000], 2^−1060 subnormal; float32: [−140, 100], 2^−140 subnormal), RBF or cosine, σ by the rule
/// or given. n ≤ 60 takes the dense host solve (block Lanczos is exercised by the fixed tests at n ≥ 130).
/// </summary>
[TestFixture]
public class NcutRangeProperties
{
    /// <summary>The structures the features are drawn in.</summary>
    public enum Structure
    {
        Blobs,
        Duplicates,
        ZeroColumns,
        FarClusters,
        Identical,
    }

    /// <summary>One case: shape, seed, structure, scale 2^Exponent, affinity and σ (SigmaExponent null: the rule; else 2^s before scaling).</summary>
    public sealed record Case(int N, int D, int K, int Seed, Structure Structure, int Exponent, AffinityKind Affinity, int? SigmaExponent)
    {
        /// <summary>The unscaled features: multiples of 1/64 below 2^11 (at most 17 significant bits, so 2^e·x is exact in either precision).</summary>
        public double[,] Features()
        {
            var rng = new Random(Seed);
            int centres = 1 + rng.Next(3);
            var centre = new double[centres, D];
            for (int j = 0; j < centres; j++)
                for (int c = 0; c < D; c++)
                    centre[j, c] = Structure == Structure.FarClusters ? (c == 0 ? 1024 * (j - 1) : 0) : rng.Next(-6, 7);
            double spread = Structure == Structure.FarClusters ? 0.25 : 1;
            var x = new double[N, D];
            for (int i = 0; i < N; i++)
                for (int c = 0; c < D; c++)
                    x[i, c] = Structure == Structure.Identical ? centre[0, c] : centre[i % centres, c] + spread * TestData.Gaussian(rng);
            if (Structure == Structure.Duplicates)
                for (int i = N / 2; i < N; i++)
                {
                    int source = rng.Next(Math.Max(1, N / 2));
                    for (int c = 0; c < D; c++)
                        x[i, c] = x[source, c];
                }
            if (Structure == Structure.ZeroColumns)
                for (int i = 0; i < N; i++)
                    for (int c = 1; c < D; c += 2)
                        x[i, c] = 0;
            return EmbeddingChecks.Quantized(x);
        }

        /// <summary>Options for the features scaled by <paramref name="c"/>: the σ given scaled with them (RBF; cosine σ has no unit).</summary>
        public NcutOptions Options(double c) => new()
        {
            EigenvectorCount = K,
            Affinity = Affinity,
            Seed = Seed,
            Sigma = SigmaExponent is { } s ? Math.ScaleB(1.0, s) * (Affinity == AffinityKind.Rbf ? c : 1) : null,
        };
    }

    private static Arbitrary<Case> Cases(int minExponent, int maxExponent) =>
        (from n in Gen.Choose(3, 60)
         from d in Gen.Choose(1, 12)
         from k in Gen.Choose(1, n - 1)
         from seed in Gen.Choose(0, 1 << 20)
         from structure in Gen.Elements(Enum.GetValues<Structure>())
         from exponent in Gen.Choose(minExponent, maxExponent)
         from affinity in Gen.Elements(AffinityKind.Rbf, AffinityKind.Cosine)
         // RBF σ in the features' units (spread 1, or 0.25 in clusters 1024 apart); cosine σ from 2^−8 (direct differences) to 0.5.
         from sigma in affinity == AffinityKind.Rbf ? Gen.Elements<int?>(null, -3, -1, 0, 2, 4) : Gen.Elements<int?>(null, -8, -4, -2, -1)
         select new Case(n, d, k, seed, structure, exponent, affinity, sigma))
        .ToArbitrary();

    private static ComputeDevice _cpu = null!, _ilgpu = null!;

    [OneTimeSetUp]
    public void Create()
    {
        _cpu = ComputeDevice.Create(DeviceKind.Cpu);
        _ilgpu = ComputeDevice.Create(DeviceKind.IlgpuCpu);
    }

    [OneTimeTearDown]
    public void Dispose()
    {
        _cpu.Dispose();
        _ilgpu.Dispose();
    }

    /// <summary>Throws with <paramref name="message"/> (and the case) when <paramref name="condition"/> fails: FsCheck reports it.</summary>
    private static void Require(bool condition, object c, string message)
    {
        if (!condition)
            throw new InvalidOperationException($"{message} — {c}");
    }

    /// <summary>A fit: eigenvectors (float64 view), eigenvalues, σ, and the raw output for the bit comparison.</summary>
    private sealed record Fit(Matrix<double> U, double[] Lambda, double Sigma, object Raw);

    private static Fit Run<T>(Case c, double scale) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var x = EmbeddingChecks.Scaled(c.Features(), scale);
        var input = new T[c.N, c.D];
        for (int i = 0; i < c.N; i++)
            for (int j = 0; j < c.D; j++)
                input[i, j] = T.CreateChecked(x[i, j]);
        var ncut = new Ncut(_cpu, c.Options(scale));
        var u = ncut.FitTransform(input);
        return new Fit(TestData.Matrix(Ncut.ToDouble(u)), ncut.Eigenvalues, ncut.Sigma, u);
    }

    /// <summary>The checks every fit must pass, with the precision's rounding <paramref name="rounding"/> and orthonormality tolerance.</summary>
    private static void RequireValid(Fit f, Case c, double rounding, double orthonormality)
    {
        Require(f.U.Enumerate().All(double.IsFinite) && f.Lambda.All(double.IsFinite) && double.IsFinite(f.Sigma), c, "finite output");
        Require(EmbeddingChecks.OrthonormalityError(f.U) <= orthonormality, c, $"‖UᵀU − I‖ = {EmbeddingChecks.OrthonormalityError(f.U):E2}");
        for (int j = 0; j < c.K; j++)
        {
            Require(Math.Abs(f.Lambda[j]) <= 1 + rounding, c, $"λ{j} = {f.Lambda[j]:R} outside [−1, 1]");
            if (j > 0)
                Require(f.Lambda[j] <= f.Lambda[j - 1], c, $"λ{j} = {f.Lambda[j]:R} above λ{j - 1} = {f.Lambda[j - 1]:R}");
        }
        Require(Math.Abs(f.Lambda[0] - 1) <= rounding, c, $"λ1 = {f.Lambda[0]:R} ≠ 1");
    }

    /// <summary>
    /// X and 2^e·X: valid, bit-identical on a second run, σ scaled by 2^e exactly (RBF; cosine unchanged), same eigenvalues and the
    /// same subspace where an eigenvalue gap of at least 1e-3 separates one (sin θ ≤ 1e-6 float64, 1e-3 float32).
    /// </summary>
    private static void CheckCase<T>(Case c, double rounding, double orthonormality, double sinTolerance)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        double scale = Math.ScaleB(1.0, c.Exponent);
        var a = Run<T>(c, 1);
        var b = Run<T>(c, scale);
        var again = Run<T>(c, scale);
        RequireValid(a, c, rounding, orthonormality);
        RequireValid(b, c, rounding, orthonormality);
        Require(((T[,])b.Raw).Cast<T>().SequenceEqual(((T[,])again.Raw).Cast<T>()) && b.Lambda.SequenceEqual(again.Lambda), c, "same seed, same bits");
        Require(b.Sigma == (c.Affinity == AffinityKind.Rbf ? scale * a.Sigma : a.Sigma), c, $"σ {b.Sigma:R} for scale 2^{c.Exponent}, {a.Sigma:R} unscaled");
        for (int j = 0; j < c.K; j++)
            Require(Math.Abs(a.Lambda[j] - b.Lambda[j]) <= rounding, c, $"λ{j}: {b.Lambda[j]:R} scaled, {a.Lambda[j]:R} unscaled");
        double sin = EmbeddingChecks.SeparatedSubspaceSin(a.U, b.U, a.Lambda, 1e-3, out _);
        Require(sin <= sinTolerance, c, $"subspace sin θ = {sin:E2} between X and 2^{c.Exponent}·X");
    }

    // 300 cases: float64 features from the subnormals (2^−1060) to 2^1000.
    [Property(MaxTest = 300, Replay = "12345,67891")]
    public Property Float64_AnyScale_IsValidDeterministicAndScaleInvariant() =>
        Prop.ForAll(Cases(-1060, 1000), c => CheckCase<double>(c, 1e-12, 1e-10, 1e-6));

    // 300 cases: float32 features from the subnormals (2^−140) to 2^100. float32 M: λ within a few ulps of [−1, 1].
    [Property(MaxTest = 300, Replay = "23456,78901")]
    public Property Float32_AnyScale_IsValidDeterministicAndScaleInvariant() =>
        Prop.ForAll(Cases(-140, 100), c => CheckCase<float>(c, 1e-6, 1e-5, 1e-3));

    // 100 cases: any factor c = 10^u (not a power of two: c·X is rounded) with σ scaled alike gives the embedding of X,
    // float64, u in [−300, 295] (c·X and c·σ finite and normal).
    [Property(MaxTest = 100, Replay = "34567,89013")]
    public Property Float64_AnyFactorWithSigma_GivesTheSameEmbedding() =>
        Prop.ForAll(Cases(0, 0), Gen.Choose(-300, 295).ToArbitrary(), (c, u) =>
        {
            var given = c with { SigmaExponent = c.SigmaExponent ?? 0 };
            double factor = Math.Pow(10, u);
            var a = Run<double>(given, 1);
            var b = Run<double>(given, factor);
            RequireValid(b, given, 1e-12, 1e-10);
            for (int j = 0; j < given.K; j++)
                Require(Math.Abs(a.Lambda[j] - b.Lambda[j]) <= 1e-10, given, $"λ{j}: {b.Lambda[j]:R} at c = 1e{u}, {a.Lambda[j]:R} at 1");
            double sin = EmbeddingChecks.SeparatedSubspaceSin(a.U, b.U, a.Lambda, 1e-3, out _);
            Require(sin <= 1e-6, given, $"subspace sin θ = {sin:E2} at c = 1e{u}");
        });

    // 12 cases on the ILGPU CPU accelerator (slow: tiny n): the direct-difference tile against the managed twin, RBF on rows in
    // groups 1024 apart (rows i mod 3) with σ = 0.5, far below the centred norms (the Gram expansion is refused).
    [Property(MaxTest = 12, Replay = "45678,90125")]
    public Property IlgpuDirectAffinity_MatchesTheManagedTwin() =>
        Prop.ForAll(Gen.Choose(2, 40).ToArbitrary(), Gen.Choose(1, 12).ToArbitrary(), Gen.Choose(0, 1 << 20).ToArbitrary(), (n, d, seed) =>
        {
            var rng = new Random(seed);
            var flat = new float[n * d];
            for (int i = 0; i < n; i++)
                for (int j = 0; j < d; j++)
                    flat[i * d + j] = (j == 0 ? 1024 * (i % 3 - 1) : 0) + (float)Math.Round(16 * TestData.Gaussian(rng)) / 64;
            float[] W(ComputeDevice device)
            {
                using var xm = DeviceMatrix<float>.Upload(device, flat, n, d);
                using var w = DeviceMatrix<float>.Allocate(device, n, n);
                device.Backend.Affinity(xm.All, w, AffinityKind.Rbf, 2);
                var result = new float[n * n];
                w.Download(result);
                return result;
            }
            var expected = W(_cpu);
            var actual = W(_ilgpu);
            string what = $"n = {n}, d = {d}, seed = {seed}";
            for (int e = 0; e < n * n; e++)
                Require(Math.Abs(actual[e] - expected[e]) <= 1e-7 + 4e-6 * expected[e], what, $"W[{e / n},{e % n}] = {actual[e]:R}, managed {expected[e]:R}");
        });
}
