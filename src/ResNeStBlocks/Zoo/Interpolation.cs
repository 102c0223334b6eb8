namespace ResNeStBlocks.Zoo;

/// <summary>Resampling filter used to resize images before the center crop.</summary>
public enum Interpolation
{
    /// <summary>Bilinear (triangle) filter with antialiasing.</summary>
    Bilinear,

    /// <summary>Bicubic (Keys, a = -0.5) filter with antialiasing.</summary>
    Bicubic,
}
