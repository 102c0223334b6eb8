using System;

namespace ResNeStBlocks.Vision;

/// <summary>
/// The window of torchvision's and timm's <c>RandomResizedCrop</c>: up to ten tries at a random area fraction in
/// <see cref="MinScale"/>..<see cref="MaxScale"/> and a log-uniform aspect ratio in <see cref="MinRatio"/>..<see cref="MaxRatio"/>;
/// when no try fits the image, the largest center crop whose ratio is within the range.
/// </summary>
/// <param name="MinScale">Smallest area fraction (timm 0.08).</param>
/// <param name="MaxScale">Largest area fraction (timm 1).</param>
/// <param name="MinRatio">Smallest width / height (timm 3/4).</param>
/// <param name="MaxRatio">Largest width / height (timm 4/3).</param>
public sealed record RandomResizedCrop(double MinScale = 0.08, double MaxScale = 1.0, double MinRatio = 3.0 / 4, double MaxRatio = 4.0 / 3)
{
    /// <summary>Tries before the center-crop fallback (torchvision's 10).</summary>
    public const int Attempts = 10;

    /// <summary>Draws a window for an image of <paramref name="height"/> x <paramref name="width"/>.</summary>
    /// <param name="height">Image rows, at least 1.</param>
    /// <param name="width">Image columns, at least 1.</param>
    /// <param name="random">The source of randomness.</param>
    /// <returns>A window inside the image.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The image is empty, or a range is empty or not positive.</exception>
    public CropWindow Sample(int height, int width, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        Check(height, width);
        double area = (double)height * width;
        double logMin = Math.Log(MinRatio), logMax = Math.Log(MaxRatio);
        for (int attempt = 0; attempt < Attempts; attempt++)
        {
            double target = area * (MinScale + (MaxScale - MinScale) * random.NextDouble());
            double ratio = Math.Exp(logMin + (logMax - logMin) * random.NextDouble());
            int w = (int)Math.Round(Math.Sqrt(target * ratio), MidpointRounding.ToEven);
            int h = (int)Math.Round(Math.Sqrt(target / ratio), MidpointRounding.ToEven);
            if (w > 0 && w <= width && h > 0 && h <= height)
                return new CropWindow(random.Next(height - h + 1), random.Next(width - w + 1), h, w);
        }
        return CenterFallback(height, width);
    }

    /// <summary>The window used when no try fits: the whole image, trimmed to the nearest allowed aspect ratio.</summary>
    /// <param name="height">Image rows.</param>
    /// <param name="width">Image columns.</param>
    /// <returns>The centered window.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The image is empty, or a range is empty or not positive.</exception>
    public CropWindow CenterFallback(int height, int width)
    {
        Check(height, width);
        double inRatio = (double)width / height;
        int w, h;
        if (inRatio < MinRatio)
        {
            w = width;
            h = (int)Math.Round(w / MinRatio, MidpointRounding.ToEven);
        }
        else if (inRatio > MaxRatio)
        {
            h = height;
            w = (int)Math.Round(h * MaxRatio, MidpointRounding.ToEven);
        }
        else
        {
            w = width;
            h = height;
        }
        return new CropWindow((height - h) / 2, (width - w) / 2, h, w);
    }

    private void Check(int height, int width)
    {
        if (height < 1 || width < 1)
            throw new ArgumentOutOfRangeException(nameof(height), $"Expected an image of at least 1 x 1 pixels, got {height} x {width}.");
        if (!(MinScale > 0 && MinScale <= MaxScale) || !(MinRatio > 0 && MinRatio <= MaxRatio) || double.IsInfinity(MaxRatio))
            throw new ArgumentOutOfRangeException(nameof(MinScale),
                $"Expected 0 < MinScale <= MaxScale and 0 < MinRatio <= MaxRatio, got MinScale={MinScale}, MaxScale={MaxScale}, MinRatio={MinRatio}, MaxRatio={MaxRatio}.");
    }
}
