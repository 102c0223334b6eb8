namespace ResNeStBlocks.Samples.Train;

/// <summary>The classes of the synthetic dataset; the value is the class index.</summary>
public enum Shape
{
    /// <summary>A filled disc.</summary>
    Circle,

    /// <summary>A filled axis-aligned square.</summary>
    Square,

    /// <summary>A filled triangle, apex up.</summary>
    Triangle,

    /// <summary>A plus sign.</summary>
    Cross,
}
