namespace ResNeStBlocks.Vision;

/// <summary>A crop window: top-left corner and size, in pixels.</summary>
/// <param name="Top">First row.</param>
/// <param name="Left">First column.</param>
/// <param name="Height">Rows.</param>
/// <param name="Width">Columns.</param>
public readonly record struct CropWindow(int Top, int Left, int Height, int Width);
