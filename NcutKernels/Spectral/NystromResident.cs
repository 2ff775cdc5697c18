// NystromResident: what a Nyström fit keeps on its device — landmark features, eigenvectors and their signs, the propagation's anchors and values.
using System.Numerics;
using NcutKernels.Runtime;

namespace NcutKernels.Spectral;

/// <summary>The device-resident fit, element type erased (disposal and host copies).</summary>
internal abstract class NystromResident : IDisposable
{
    /// <summary>The same matrices in element type TNew on <paramref name="device"/> (a new object; this one is left as it is).</summary>
    public abstract NystromResident<TNew> Convert<TNew>(ComputeDevice device) where TNew : unmanaged, IFloatingPointIeee754<TNew>;

    /// <summary>The landmark eigenvectors as m×k float64, row-major, signs applied.</summary>
    public abstract double[] DownloadVectors();

    /// <summary>Multiplies the first k columns of the propagation's values by the output's column signs (a classic extension's last column, the degrees' weights, stays).</summary>
    public abstract void ScaleValues(ComputeDevice device, double[] signs);

    public abstract void Dispose();
}

/// <summary>
/// The device side of a fit in element type T: the landmark features (m×d); the landmark eigenvectors as the solver leaves
/// them (k×m, row j = eigenvector j) with the sign each column of the embedding takes, or null until a propagation needs them
/// (uploaded then from the host copy); and the prepared propagation's anchors (null: every landmark, the features themselves)
/// and values.
/// </summary>
internal sealed class NystromResident<T>(DeviceMatrix<T> features, DeviceMatrix<T>? vectors, double[]? signs) : NystromResident
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public DeviceMatrix<T> Features { get; } = features;
    public DeviceMatrix<T>? Vectors { get; private set; } = vectors;
    public double[]? Signs { get; private set; } = signs;
    public DeviceMatrix<T>? Anchors { get; private set; }
    public DeviceMatrix<T>? Values { get; private set; }

    /// <summary>
    /// A loaded fit's device side in T (<see cref="NystromFit.PreparedValues"/>): the landmark features uploaded, the anchors gathered
    /// from them at the plan's positions (none when those are every landmark in order) and the saved values uploaded; no
    /// eigenvectors (a prepared propagation does not read them).
    /// </summary>
    public static NystromResident<T> Loaded(ComputeDevice device, NystromFit fit, PropagationPlan plan)
    {
        int m = fit.Indices.Length, a = plan.Rows.Length;
        var resident = new NystromResident<T>(DeviceMatrix<T>.Upload(device, HostArrays.As<T>(fit.Features!), m, fit.Cols), null, null);
        DeviceMatrix<T>? anchors = null, values = null;
        try
        {
            if (a != m || plan.Rows.Where((row, j) => row != j).Any())
            {
                anchors = DeviceMatrix<T>.Allocate(device, a, fit.Cols);
                device.Backend.GatherRows(resident.Features.All, plan.Rows, anchors.All);
            }
            var host = HostArrays.As<T>(fit.PreparedValues!);
            values = DeviceMatrix<T>.Upload(device, host, a, host.Length / a);
            resident.SetPropagation(anchors, values);
        }
        catch
        {
            anchors?.Dispose();
            values?.Dispose();
            resident.Dispose();
            throw;
        }
        return resident;
    }

    /// <summary>The propagation's anchors (a×d): its own rows, or every landmark.</summary>
    public DeviceMatrix<T> AnchorMatrix => Anchors ?? Features;

    /// <summary>Keeps the eigenvectors (k×m, owned from now on) and their column signs.</summary>
    public void SetVectors(DeviceMatrix<T> rows, double[] columnSigns)
    {
        Vectors?.Dispose();
        (Vectors, Signs) = (rows, columnSigns);
    }

    /// <summary>Keeps a prepared propagation's anchors (null: the features) and values, both owned from now on.</summary>
    public void SetPropagation(DeviceMatrix<T>? anchors, DeviceMatrix<T> values)
    {
        Anchors?.Dispose();
        Values?.Dispose();
        (Anchors, Values) = (anchors, values);
    }

    public override NystromResident<TNew> Convert<TNew>(ComputeDevice device)
    {
        var moved = new List<DeviceMatrix<TNew>?>();
        try
        {
            foreach (var matrix in new[] { Features, Vectors, Anchors, Values })
            {
                if (matrix is null)
                {
                    moved.Add(null);
                    continue;
                }
                var host = new T[matrix.Length];
                matrix.Download(host);
                moved.Add(DeviceMatrix<TNew>.Upload(device, HostArrays.As<TNew>(host), matrix.Rows, matrix.Cols));
            }
        }
        catch
        {
            moved.ForEach(m => m?.Dispose());
            throw;
        }
        var result = new NystromResident<TNew>(moved[0]!, moved[1], Signs);
        if (moved[3] is { } values)
            result.SetPropagation(moved[2], values);
        return result;
    }

    public override void ScaleValues(ComputeDevice device, double[] signs)
    {
        if (Values is not { } values)
            return;
        var factors = Enumerable.Range(0, values.Cols).Select(c => c < signs.Length ? signs[c] : 1.0).ToArray();
        device.Backend.ScaleColumns(values.All, factors);
    }

    public override double[] DownloadVectors()
    {
        var rows = Vectors ?? throw new InvalidOperationException("The fit's eigenvectors are neither on the host nor on the device.");
        int k = rows.Rows, m = rows.Cols;
        var host = new T[rows.Length];
        rows.Download(host);
        var result = new double[host.Length];
        for (int c = 0; c < k; c++)
            for (int j = 0; j < m; j++)
                result[(long)j * k + c] = double.CreateTruncating(host[(long)c * m + j]) * Signs![c];
        return result;
    }

    public override void Dispose()
    {
        Features.Dispose();
        Vectors?.Dispose();
        Anchors?.Dispose();
        Values?.Dispose();
    }
}
