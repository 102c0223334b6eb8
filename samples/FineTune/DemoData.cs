using System;
using System.Collections.Generic;
using System.IO;
using ResNeStBlocks.Samples.Data;
using SkiaSharp;

namespace ResNeStBlocks.Samples.FineTune;

/// <summary>
/// Writes a small ImageFolder of generated pictures, so the sample runs on a fresh clone: one filled shape (circle,
/// square, triangle or cross) per image at a random place, size and colour on a cluttered background, with varied
/// sizes and aspect ratios, a few greyscale and RGBA PNGs and a few JPEGs, as real folders have.
/// </summary>
public static class DemoData
{
    /// <summary>The class folders written.</summary>
    public static IReadOnlyList<string> Classes => Shapes.Names;

    /// <summary>Writes <paramref name="perClass"/> images of each class under <paramref name="directory"/>.</summary>
    /// <param name="directory">The ImageFolder root (created; existing files of the same names are replaced).</param>
    /// <param name="perClass">Images per class, at least 2.</param>
    /// <param name="seed">Seed of the pictures.</param>
    /// <returns>Number of files written.</returns>
    public static int Write(string directory, int perClass = 250, int seed = 7)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (perClass < 2)
            throw new ArgumentOutOfRangeException(nameof(perClass), perClass, $"perClass must be at least 2, got {perClass}.");
        var random = new Random(seed);
        int written = 0;
        for (int c = 0; c < Classes.Count; c++)
        {
            string folder = Path.Combine(directory, Classes[c]);
            Directory.CreateDirectory(folder);
            for (int i = 0; i < perClass; i++)
            {
                int width = random.Next(48, 97), height = random.Next(48, 97);
                var kind = (i % 10) switch { 3 => ImageKind.Grey, 6 => ImageKind.Rgba, 8 => ImageKind.Jpeg, _ => ImageKind.Rgb };
                string name = $"{Classes[c]}_{i:D3}.{(kind == ImageKind.Jpeg ? "jpg" : "png")}";
                File.WriteAllBytes(Path.Combine(folder, name), Render(Classes[c], width, height, kind, random));
                written++;
            }
        }
        return written;
    }

    /// <summary>How an image is encoded.</summary>
    public enum ImageKind
    {
        /// <summary>8-bit RGB PNG.</summary>
        Rgb,

        /// <summary>8-bit greyscale PNG.</summary>
        Grey,

        /// <summary>8-bit RGBA PNG with a translucent background.</summary>
        Rgba,

        /// <summary>JPEG.</summary>
        Jpeg,
    }

    /// <summary>Draws one picture of <paramref name="shape"/> and encodes it.</summary>
    /// <param name="shape">One of <see cref="Classes"/>.</param>
    /// <param name="width">Width in pixels.</param>
    /// <param name="height">Height in pixels.</param>
    /// <param name="kind">The encoding.</param>
    /// <param name="random">The source of randomness.</param>
    /// <param name="colour">The shape's colour; random when null.</param>
    /// <returns>The encoded file.</returns>
    public static byte[] Render(string shape, int width, int height, ImageKind kind, Random random, SKColor? colour = null)
    {
        ArgumentNullException.ThrowIfNull(random);
        var info = new SKImageInfo(width, height, SKColorType.Rgba8888, kind == ImageKind.Rgba ? SKAlphaType.Unpremul : SKAlphaType.Opaque);
        using var bitmap = new SKBitmap(info);
        using (var canvas = new SKCanvas(bitmap))
        {
            var background = Shapes.RandomColour(random, kind == ImageKind.Rgba ? (byte)random.Next(120, 230) : (byte)255);
            canvas.Clear(background);
            using var clutter = new SKPaint { IsAntialias = true, StrokeWidth = 2, Style = SKPaintStyle.Stroke };
            for (int line = 0; line < 4; line++)
            {
                clutter.Color = Shapes.RandomColour(random, 255).WithAlpha(90);
                canvas.DrawLine(random.Next(width), random.Next(height), random.Next(width), random.Next(height), clutter);
            }
            SKColor foreground;
            do foreground = colour ?? Shapes.RandomColour(random, 255);
            while (Shapes.Distance(foreground, background) < 140 && colour is null);
            using var paint = new SKPaint { IsAntialias = true, Color = foreground, Style = SKPaintStyle.Fill };
            float r = Math.Min(width, height) * (float)(0.25 + 0.15 * random.NextDouble());
            float cx = r + 1 + (float)random.NextDouble() * (width - 2 * r - 2);
            float cy = r + 1 + (float)random.NextDouble() * (height - 2 * r - 2);
            Shapes.Draw(canvas, shape, cx, cy, r, paint);
        }
        if (kind == ImageKind.Grey)
            return EncodeGrey(bitmap);
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(kind == ImageKind.Jpeg ? SKEncodedImageFormat.Jpeg : SKEncodedImageFormat.Png, 90);
        return data.ToArray();
    }

    private static byte[] EncodeGrey(SKBitmap rgba)
    {
        using var grey = new SKBitmap(new SKImageInfo(rgba.Width, rgba.Height, SKColorType.Gray8, SKAlphaType.Opaque));
        for (int y = 0; y < rgba.Height; y++)
        {
            for (int x = 0; x < rgba.Width; x++)
            {
                var colour = rgba.GetPixel(x, y);
                byte luma = (byte)Math.Round(0.299 * colour.Red + 0.587 * colour.Green + 0.114 * colour.Blue);
                grey.SetPixel(x, y, new SKColor(luma, luma, luma));
            }
        }
        using var image = SKImage.FromBitmap(grey);
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }
}
