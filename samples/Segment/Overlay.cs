using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using ResNeStBlocks.Samples.OnnxImages;
using SkiaSharp;

namespace ResNeStBlocks.Samples.Segment;

/// <summary>
/// The pictures a person looks at: an image with a class mask blended over its grey version (each pixel
/// <c>round((1 - Alpha) * luma + Alpha * colour)</c>, so the class colours keep their hue whatever the image's
/// colours), panels side by side, and a legend of the classes' colours.
/// </summary>
public static class Overlay
{
    /// <summary>Weight of the class colour in a blended pixel.</summary>
    public const double Alpha = 0.5;

    /// <summary>Pixels between panels.</summary>
    public const int Gap = 8;

    /// <summary>Height of the legend strip under the panels.</summary>
    public const int LegendHeight = 28;

    /// <summary>One panel: <paramref name="rgb"/> in grey with <paramref name="classes"/> blended over it, or the image alone when <paramref name="classes"/> is null.</summary>
    /// <param name="rgb">Width x height x 3 bytes, row by row.</param>
    /// <param name="classes">Width x height class indices (255 = ignore), or null.</param>
    /// <returns>The panel's RGB bytes.</returns>
    public static byte[] Blend(byte[] rgb, byte[]? classes)
    {
        ArgumentNullException.ThrowIfNull(rgb);
        if (classes is null)
            return rgb;
        if (rgb.Length != 3 * classes.Length)
            throw new ArgumentException($"The image has {rgb.Length / 3} pixels but the mask {classes.Length}.", nameof(classes));
        var blended = new byte[rgb.Length];
        for (int p = 0; p < classes.Length; p++)
        {
            var (r, g, b) = VocPalette.Colour(classes[p]);
            byte luma = (byte)Math.Round(0.299 * rgb[3 * p] + 0.587 * rgb[3 * p + 1] + 0.114 * rgb[3 * p + 2], MidpointRounding.AwayFromZero);
            blended[3 * p] = Mix(luma, r);
            blended[3 * p + 1] = Mix(luma, g);
            blended[3 * p + 2] = Mix(luma, b);
        }
        return blended;
    }

    /// <summary>
    /// Writes a PNG of panels side by side (<see cref="Gap"/> white pixels apart), each the image with one mask blended
    /// (or none), titled, and a legend strip of the classes under them.
    /// </summary>
    /// <param name="path">The PNG to write.</param>
    /// <param name="width">Image columns.</param>
    /// <param name="height">Image rows.</param>
    /// <param name="rgb">The image: width x height x 3 bytes.</param>
    /// <param name="panels">Each panel's title and mask (null for the image alone).</param>
    /// <param name="classes">Class names, for the legend.</param>
    public static void Save(string path, int width, int height, byte[] rgb, IReadOnlyList<(string Title, byte[]? Classes)> panels,
        IReadOnlyList<string> classes)
    {
        ArgumentNullException.ThrowIfNull(panels);
        ArgumentNullException.ThrowIfNull(classes);
        int titleHeight = LegendHeight;
        using var font = new SKFont(SKTypeface.Default, 14);
        using var bitmap = new SKBitmap(new SKImageInfo(PictureWidth(width, panels.Count, classes), titleHeight + height + LegendHeight,
            SKColorType.Rgba8888, SKAlphaType.Opaque));
        using var canvas = new SKCanvas(bitmap);
        canvas.Clear(SKColors.White);
        using var ink = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        for (int i = 0; i < panels.Count; i++)
        {
            int left = i * (width + Gap);
            using var panel = Bitmap(width, height, Blend(rgb, panels[i].Classes));
            canvas.DrawBitmap(panel, left, titleHeight);
            canvas.DrawText(panels[i].Title, left + 2, titleHeight - 8, font, ink);
        }
        float x = LegendMargin;
        for (int c = 0; c < classes.Count; c++)
        {
            var (r, g, b) = VocPalette.Colour(c);
            using var swatch = new SKPaint { Color = new SKColor(r, g, b) };
            canvas.DrawRect(x, titleHeight + height + 7, 14, 14, swatch);
            canvas.DrawText(classes[c], x + 18, titleHeight + height + 19, font, ink);
            x += LegendEntryWidth(classes[c], font);
        }
        canvas.Flush();
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        File.WriteAllBytes(path, data.ToArray());
    }

    /// <summary>The width of a picture written by <see cref="Save"/>: the panels side by side, or the legend when it is wider.</summary>
    /// <param name="width">Image columns.</param>
    /// <param name="panels">Number of panels.</param>
    /// <param name="classes">Class names of the legend.</param>
    /// <returns>Pixels.</returns>
    public static int PictureWidth(int width, int panels, IReadOnlyList<string> classes)
    {
        ArgumentNullException.ThrowIfNull(classes);
        using var font = new SKFont(SKTypeface.Default, 14);
        float legend = 2 * LegendMargin + classes.Sum(c => LegendEntryWidth(c, font));
        return Math.Max(panels * width + (panels - 1) * Gap, (int)Math.Ceiling(legend));
    }

    private const float LegendMargin = 2;

    /// <summary>A legend entry: swatch, gap, name, space before the next.</summary>
    private static float LegendEntryWidth(string name, SKFont font) => 18 + font.MeasureText(name) + 14;

    /// <summary>Where panel <paramref name="panel"/>'s pixel (row, column) lands in a picture written by <see cref="Save"/>.</summary>
    /// <param name="panel">0-based panel.</param>
    /// <param name="width">Image columns.</param>
    /// <param name="row">Image row.</param>
    /// <param name="column">Image column.</param>
    /// <returns>The picture's (row, column).</returns>
    public static (int Row, int Column) Position(int panel, int width, int row, int column) => (LegendHeight + row, panel * (width + Gap) + column);

    private static byte Mix(byte image, byte colour) => (byte)Math.Round((1 - Alpha) * image + Alpha * colour, MidpointRounding.AwayFromZero);

    private static SKBitmap Bitmap(int width, int height, byte[] rgb)
    {
        var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        var pixels = new byte[4 * width * height];
        for (int p = 0; p < width * height; p++)
        {
            pixels[4 * p] = rgb[3 * p];
            pixels[4 * p + 1] = rgb[3 * p + 1];
            pixels[4 * p + 2] = rgb[3 * p + 2];
            pixels[4 * p + 3] = 255;
        }
        System.Runtime.InteropServices.Marshal.Copy(pixels, 0, bitmap.GetPixels(), pixels.Length);
        return bitmap;
    }
}
