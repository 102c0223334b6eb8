using System;

namespace ResNeStBlocks.Preprocessing;

/// <summary>The size arithmetic of timm's eval transform (torchvision <c>Resize(int)</c> and <c>CenterCrop</c>).</summary>
internal static class ResizeGeometry
{
    /// <summary>timm: <c>scale_size = math.floor(img_size / crop_pct)</c>.</summary>
    public static int ScaleSize(int inputSize, double cropFraction) => (int)Math.Floor(inputSize / cropFraction);

    /// <summary>
    /// torchvision <c>Resize(shorter)</c>: the shorter side becomes <paramref name="shorter"/>, the longer side
    /// <c>int(shorter * long / short)</c> (truncated); a square stays square.
    /// </summary>
    public static (long Height, long Width) ShorterSideTo(long height, long width, int shorter)
    {
        if (width <= height)
            return ((long)Math.Truncate((double)shorter * height / width), shorter);
        return (shorter, (long)Math.Truncate((double)shorter * width / height));
    }

    /// <summary>torchvision <c>center_crop</c>: <c>int(round((size - crop) / 2.0))</c>, Python rounding half to even.</summary>
    public static long CropOffset(long size, long crop) => (long)Math.Round((size - crop) / 2.0, MidpointRounding.ToEven);
}
