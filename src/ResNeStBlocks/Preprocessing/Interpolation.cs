namespace ResNeStBlocks.Preprocessing;

/// <summary>Resampling filter of the resize step (timm's pretrained configs use these two).</summary>
public enum Interpolation
{
    /// <summary>Bilinear (triangle) filter, antialiased when downscaling, as PIL's <c>BILINEAR</c>.</summary>
    Bilinear,

    /// <summary>Bicubic filter (a = -0.5), antialiased when downscaling, as PIL's <c>BICUBIC</c>.</summary>
    Bicubic,
}
