// NystromFit: what a NystromNcut fit keeps on the host — landmark rows, features or nothing, eigenpairs, degrees, σ, scale, output signs, and a loaded fit's prepared values.
using NcutKernels.Core;

namespace NcutKernels.Spectral;

/// <summary>
/// What a fit keeps on the host (row-major): the fitted points n, the landmarks' rows of x, their features (m×d, in the input's
/// element type: float[] or double[] — no float64 copy of 10⁷ values; float64 after a differentiable fit, the tape's host copy;
/// null on the Nyström path, where only the device holds them: <see cref="NystromResident{T}"/>), eigenvectors (m×k, float64, signs
/// applied; null on the Nyström path, likewise), graph degrees (null on the exact path), eigenvalues, σ (float64), the
/// sign of each output column, decided from the fit's own output rows (null until then), and for a fit loaded from a file
/// (<see cref="NystromNcut.Load(Runtime.ComputeDevice, string, TextWriter?)"/>) the prepared propagation's values as saved (a×c in the
/// features' element type, output signs applied; null otherwise), which go to the device with the features on the first transform.
/// </summary>
internal sealed record NystromFit(int Points, int Cols, int[] Indices, Array? Features, double[]? Vectors, double[]? Degrees, double[] Eigenvalues, double Sigma,
    double[]? OutputSigns = null, FeatureScale Scale = default, Array? PreparedValues = null);
