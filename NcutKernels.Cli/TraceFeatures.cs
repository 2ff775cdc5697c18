// TraceFeatures: the feature rows `ncut trace` traces (float32, or float64 kept on the CPU backend) and their layout.
using NcutKernels.Spectral;

namespace NcutKernels.Cli;

/// <summary>The n × C feature rows of a trace in float32 or float64, and the <see cref="FeatureLayout"/> of their items' grids.</summary>
internal sealed class TraceFeatures
{
    private readonly float[,]? _singles;
    private readonly double[,]? _doubles;

    /// <summary>float32 rows in the order of <paramref name="layout"/>.</summary>
    public TraceFeatures(float[,] rows, FeatureLayout layout)
    {
        layout.CheckRows(rows, nameof(rows));
        _singles = rows;
        Layout = layout;
    }

    /// <summary>float64 rows in the order of <paramref name="layout"/>.</summary>
    public TraceFeatures(double[,] rows, FeatureLayout layout)
    {
        layout.CheckRows(rows, nameof(rows));
        _doubles = rows;
        Layout = layout;
    }

    /// <summary>Which item and grid position each row is.</summary>
    public FeatureLayout Layout { get; }

    /// <summary>Feature values per row.</summary>
    public int Channels => _singles?.GetLength(1) ?? _doubles!.GetLength(1);

    /// <summary>The trace of the rows, in their own precision.</summary>
    public ChannelTrace Trace(ChannelTracer tracer) => _singles is not null ? tracer.Trace(_singles) : tracer.Trace(_doubles!);

    /// <summary>The rows in float32 (a copy when they are float64), for the channel pictures.</summary>
    public float[,] Singles()
    {
        if (_singles is not null)
            return _singles;
        var rows = new float[_doubles!.GetLength(0), _doubles.GetLength(1)];
        for (int i = 0; i < rows.GetLength(0); i++)
            for (int c = 0; c < rows.GetLength(1); c++)
                rows[i, c] = (float)_doubles[i, c];
        return rows;
    }
}
