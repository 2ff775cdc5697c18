// IlgpuKernels: every ILGPU kernel of the project, loaded once per accelerator on first use and shared by all its launchers.
using ILGPU;
using ILGPU.Runtime;
using NcutKernels.Kernels;

namespace NcutKernels.Backends.Ilgpu;

/// <summary>
/// The kernel cache of one accelerator: each property loads its kernel on first use (JIT to PTX on CUDA) and returns the
/// same launcher afterwards. <see cref="IlgpuBackend"/>, <see cref="IlgpuNystrom"/>, <see cref="IlgpuSigma"/> and
/// <see cref="IlgpuDistanceTile"/> share the one instance their backend owns. Not thread-safe: the backend serializes its calls.
/// </summary>
internal sealed class IlgpuKernels(Accelerator accelerator)
{
    private readonly Accelerator _acc = accelerator;

    private Action<KernelConfig, ArrayView<double>, ArrayView<double>, ArrayView<double>, int, int, int>? _pairTerms;
    /// <summary><see cref="SigmaKernels.PairTerms"/>.</summary>
    public Action<KernelConfig, ArrayView<double>, ArrayView<double>, ArrayView<double>, int, int, int> PairTerms => _pairTerms ??= _acc.LoadStreamKernel<ArrayView<double>, ArrayView<double>, ArrayView<double>, int, int, int>(SigmaKernels.PairTerms);

    private Action<KernelConfig, ArrayView<double>, ArrayView<double>, ArrayView<double>, int, int, double>? _affinityRowSums;
    /// <summary><see cref="SigmaKernels.AffinityRowSums"/>.</summary>
    public Action<KernelConfig, ArrayView<double>, ArrayView<double>, ArrayView<double>, int, int, double> AffinityRowSums => _affinityRowSums ??= _acc.LoadStreamKernel<ArrayView<double>, ArrayView<double>, ArrayView<double>, int, int, double>(SigmaKernels.AffinityRowSums);

    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<ulong>, ArrayView<int>, int, int, int, int>? _gridFarthestPointSample;
    /// <summary><see cref="GridSamplingKernels.FarthestPointSample"/>.</summary>
    public Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<ulong>, ArrayView<int>, int, int, int, int> GridFarthestPointSample => _gridFarthestPointSample ??= _acc.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<ulong>, ArrayView<int>, int, int, int, int>(GridSamplingKernels.FarthestPointSample);

    private Action<Index1D, ArrayView<float>, ArrayView<float>, int, int>? _transpose;
    /// <summary><see cref="GridSamplingKernels.Transpose"/>.</summary>
    public Action<Index1D, ArrayView<float>, ArrayView<float>, int, int> Transpose => _transpose ??= _acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, int, int>(GridSamplingKernels.Transpose);

    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<int>, int, int, int>? _farthestPointSample;
    /// <summary><see cref="SamplingKernels.FarthestPointSample"/>.</summary>
    public Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<int>, int, int, int> FarthestPointSample => _farthestPointSample ??= _acc.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<int>, int, int, int>(SamplingKernels.FarthestPointSample);

    private Action<Index2D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>? _scaledTranspose;
    /// <summary><see cref="NcutBackwardKernels.ScaledTranspose"/>.</summary>
    public Action<Index2D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int> ScaledTranspose => _scaledTranspose ??= _acc.LoadAutoGroupedStreamKernel<Index2D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>(NcutBackwardKernels.ScaledTranspose);

    private Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>? _degreeAdjoint;
    /// <summary><see cref="NcutBackwardKernels.DegreeAdjoint"/>.</summary>
    public Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int> DegreeAdjoint => _degreeAdjoint ??= _acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>(NcutBackwardKernels.DegreeAdjoint);

    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>? _adjointAffinityTile;
    /// <summary><see cref="NcutBackwardKernels.AdjointAffinityTile"/>.</summary>
    public Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int> AdjointAffinityTile => _adjointAffinityTile ??= _acc.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>(NcutBackwardKernels.AdjointAffinityTile);

    private Action<Index2D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, float>? _accumulateFeatureGradientDirect;
    /// <summary><see cref="NcutBackwardKernels.AccumulateFeatureGradientDirect"/>.</summary>
    public Action<Index2D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, float> AccumulateFeatureGradientDirect => _accumulateFeatureGradientDirect ??= _acc.LoadAutoGroupedStreamKernel<Index2D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, float>(NcutBackwardKernels.AccumulateFeatureGradientDirect);

    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, int>? _productPartial;
    /// <summary><see cref="BlasKernels.ProductPartial"/>.</summary>
    public Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, int> ProductPartial => _productPartial ??= _acc.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, int>(BlasKernels.ProductPartial);

    private Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, float>? _accumulateCosineFeatureGradient;
    /// <summary><see cref="NcutBackwardKernels.AccumulateCosineFeatureGradient"/>.</summary>
    public Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, float> AccumulateCosineFeatureGradient =>
        _accumulateCosineFeatureGradient ??= _acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, float>(
            NcutBackwardKernels.AccumulateCosineFeatureGradient);

    private Action<Index2D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, int, float>? _accumulateFeatureGradient;
    /// <summary><see cref="NcutBackwardKernels.AccumulateFeatureGradient"/>.</summary>
    public Action<Index2D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, int, float> AccumulateFeatureGradient => _accumulateFeatureGradient ??= _acc.LoadAutoGroupedStreamKernel<Index2D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, int, float>(NcutBackwardKernels.AccumulateFeatureGradient);

    private Action<Index1D, ArrayView<float>, ArrayView<float>, int>? _rowSquaredNorms;
    /// <summary><see cref="AffinityKernels.RowSquaredNorms"/>.</summary>
    public Action<Index1D, ArrayView<float>, ArrayView<float>, int> RowSquaredNorms => _rowSquaredNorms ??= _acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, int>(AffinityKernels.RowSquaredNorms);

    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, int>? _anchorDistanceTileTf32;
    /// <summary><see cref="MmaDistanceTile.AnchorDistanceTileTf32"/>.</summary>
    public Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, int> AnchorDistanceTileTf32 => _anchorDistanceTileTf32 ??= _acc.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, int>(MmaDistanceTile.AnchorDistanceTileTf32);

    private Action<Index2D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, float>? _normalizeRows;
    /// <summary><see cref="AffinityKernels.NormalizeRows"/>.</summary>
    public Action<Index2D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, float> NormalizeRows => _normalizeRows ??= _acc.LoadAutoGroupedStreamKernel<Index2D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, float>(AffinityKernels.NormalizeRows);

    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, float, float, float>? _distanceAffinityTile;
    /// <summary><see cref="AffinityKernels.DistanceAffinityTile"/>.</summary>
    public Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, float, float, float> DistanceAffinityTile => _distanceAffinityTile ??= _acc.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, float, float, float>(AffinityKernels.DistanceAffinityTile);

    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, float, float>? _affinityTile;
    /// <summary><see cref="AffinityKernels.AffinityTile"/>.</summary>
    public Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, float, float> AffinityTile => _affinityTile ??= _acc.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, float, float>(AffinityKernels.AffinityTile);

    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, int, int>? _columnMeans;
    /// <summary><see cref="AffinityKernels.ColumnMeans"/>.</summary>
    public Action<KernelConfig, ArrayView<float>, ArrayView<float>, int, int> ColumnMeans => _columnMeans ??= _acc.LoadStreamKernel<ArrayView<float>, ArrayView<float>, int, int>(AffinityKernels.ColumnMeans);

    private Action<Index2D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>? _subtractMeans;
    /// <summary><see cref="AffinityKernels.SubtractMeans"/>.</summary>
    public Action<Index2D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int> SubtractMeans => _subtractMeans ??= _acc.LoadAutoGroupedStreamKernel<Index2D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>(AffinityKernels.SubtractMeans);

    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, int>? _rowSumsWarp;
    /// <summary><see cref="NormalizeKernels.RowSumsWarp"/>.</summary>
    public Action<KernelConfig, ArrayView<float>, ArrayView<float>, int> RowSumsWarp => _rowSumsWarp ??= _acc.LoadStreamKernel<ArrayView<float>, ArrayView<float>, int>(NormalizeKernels.RowSumsWarp);

    private Action<Index1D, ArrayView<float>, ArrayView<float>, float>? _invSqrt;
    /// <summary><see cref="NormalizeKernels.InvSqrt"/>.</summary>
    public Action<Index1D, ArrayView<float>, ArrayView<float>, float> InvSqrt => _invSqrt ??= _acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, float>(NormalizeKernels.InvSqrt);

    private Action<Index2D, ArrayView<float>, ArrayView<float>, int, int, float>? _normalize;
    /// <summary><see cref="NormalizeKernels.Normalize"/>.</summary>
    public Action<Index2D, ArrayView<float>, ArrayView<float>, int, int, float> Normalize => _normalize ??= _acc.LoadAutoGroupedStreamKernel<Index2D, ArrayView<float>, ArrayView<float>, int, int, float>(NormalizeKernels.Normalize);

    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, int>? _symmetricProductPartial;
    /// <summary><see cref="BlasKernels.SymmetricProductPartial"/>.</summary>
    public Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, int> SymmetricProductPartial => _symmetricProductPartial ??= _acc.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, int>(BlasKernels.SymmetricProductPartial);

    private Action<Index2D, ArrayView<float>, ArrayView<float>, int, int, int>? _reduceSlices;
    /// <summary><see cref="BlasKernels.ReduceSlices"/>.</summary>
    public Action<Index2D, ArrayView<float>, ArrayView<float>, int, int, int> ReduceSlices => _reduceSlices ??= _acc.LoadAutoGroupedStreamKernel<Index2D, ArrayView<float>, ArrayView<float>, int, int, int>(BlasKernels.ReduceSlices);

    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<double>, int, int>? _innerProducts;
    /// <summary><see cref="BlasKernels.InnerProducts"/>.</summary>
    public Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<double>, int, int> InnerProducts => _innerProducts ??= _acc.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<double>, int, int>(BlasKernels.InnerProducts);

    private Action<Index2D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, float>? _combine;
    /// <summary><see cref="BlasKernels.Combine"/>.</summary>
    public Action<Index2D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, float> Combine => _combine ??= _acc.LoadAutoGroupedStreamKernel<Index2D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, float>(BlasKernels.Combine);

    private Action<Index1D, ArrayView<float>, ArrayView<float>, int, float, float>? _finishClassic;
    /// <summary><see cref="PropagationKernels.FinishClassic"/>.</summary>
    public Action<Index1D, ArrayView<float>, ArrayView<float>, int, float, float> FinishClassic => _finishClassic ??= _acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, int, float, float>(PropagationKernels.FinishClassic);

    private Action<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<float>, int, int>? _classicValues;
    /// <summary><see cref="PropagationKernels.ClassicValues"/>.</summary>
    public Action<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<float>, int, int> ClassicValues => _classicValues ??= _acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<float>, int, int>(PropagationKernels.ClassicValues);

    private Action<Index2D, ArrayView<float>, ArrayView<int>, ArrayView<float>, int, int>? _gatherRows;
    /// <summary><see cref="RowKernels.GatherRows"/>.</summary>
    public Action<Index2D, ArrayView<float>, ArrayView<int>, ArrayView<float>, int, int> GatherRows => _gatherRows ??= _acc.LoadAutoGroupedStreamKernel<Index2D, ArrayView<float>, ArrayView<int>, ArrayView<float>, int, int>(RowKernels.GatherRows);

    private Action<Index2D, ArrayView<float>, ArrayView<float>, int, int>? _scaleColumns;
    /// <summary><see cref="RowKernels.ScaleColumns"/>.</summary>
    public Action<Index2D, ArrayView<float>, ArrayView<float>, int, int> ScaleColumns => _scaleColumns ??= _acc.LoadAutoGroupedStreamKernel<Index2D, ArrayView<float>, ArrayView<float>, int, int>(RowKernels.ScaleColumns);

    private Action<KernelConfig, ArrayView<float>, ArrayView<int>, long>? _maxAbs;
    /// <summary><see cref="RowKernels.MaxAbs"/>.</summary>
    public Action<KernelConfig, ArrayView<float>, ArrayView<int>, long> MaxAbs => _maxAbs ??= _acc.LoadStreamKernel<ArrayView<float>, ArrayView<int>, long>(RowKernels.MaxAbs);

    private Action<KernelConfig, ArrayView<float>, ArrayView<long>, long>? _firstNonFinite;
    /// <summary><see cref="RowKernels.FirstNonFinite"/>.</summary>
    public Action<KernelConfig, ArrayView<float>, ArrayView<long>, long> FirstNonFinite => _firstNonFinite ??= _acc.LoadStreamKernel<ArrayView<float>, ArrayView<long>, long>(RowKernels.FirstNonFinite);

    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<float>, int, int, int, int, float, int, int>? _selectNearest;
    /// <summary><see cref="PropagationKernels.SelectNearest"/>.</summary>
    public Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<float>, int, int, int, int, float, int, int> SelectNearest => _selectNearest ??= _acc.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<float>, int, int, int, int, float, int, int>(PropagationKernels.SelectNearest);

    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>? _centredSquaredNorms;
    /// <summary><see cref="PropagationKernels.CentredSquaredNorms"/>.</summary>
    public Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int> CentredSquaredNorms => _centredSquaredNorms ??= _acc.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>(PropagationKernels.CentredSquaredNorms);

    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int>? _anchorDistanceTile;
    /// <summary><see cref="PropagationKernels.AnchorDistanceTile"/>.</summary>
    public Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int> AnchorDistanceTile => _anchorDistanceTile ??= _acc.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int>(PropagationKernels.AnchorDistanceTile);

    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, float, float>? _rbfWeightedSums;
    /// <summary><see cref="SkinnyProduct.RbfWeightedSums"/>.</summary>
    public Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, float, float> RbfWeightedSums => _rbfWeightedSums ??= _acc.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, float, float>(SkinnyProduct.RbfWeightedSums);
}
