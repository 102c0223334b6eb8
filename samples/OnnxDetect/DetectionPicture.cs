using System;
using System.Collections.Generic;
using System.Globalization;

namespace ResNeStBlocks.Samples.OnnxDetect;

/// <summary>
/// Draws detections on an image: each mask as a translucent fill of its label's colour (pixels whose probability is above
/// <see cref="MaskThreshold"/>), each box as an outline, and above each box its label's name and score on a tag of the same
/// colour. Lines and text grow with the image (one font pixel per 320 pixels of the shorter side).
/// </summary>
public static class DetectionPicture
{
    /// <summary>The probability above which a mask pixel belongs to the object (torchvision's <c>draw_segmentation_masks</c> use).</summary>
    public const float MaskThreshold = 0.5f;

    /// <summary>The colour's weight in a mask's fill.</summary>
    public const double MaskAlpha = 0.5;

    /// <summary>Ten colours that stay apart on photographs; label <c>i</c> takes colour <c>i mod 10</c>.</summary>
    public static IReadOnlyList<(byte Red, byte Green, byte Blue)> Palette { get; } = new (byte, byte, byte)[]
    {
        (230, 25, 75), (60, 180, 75), (0, 130, 200), (245, 130, 48), (145, 30, 180),
        (70, 240, 240), (240, 50, 230), (210, 245, 60), (250, 190, 212), (0, 128, 128),
    };

    /// <summary>The colour of <paramref name="label"/>.</summary>
    /// <param name="label">A label.</param>
    /// <returns>Red, green and blue.</returns>
    public static (byte Red, byte Green, byte Blue) Colour(long label) => Palette[(int)(Math.Abs(label) % Palette.Count)];

    /// <summary>The text on a detection's tag: its name and score, such as <c>person 0.98</c>.</summary>
    /// <param name="name">The label's name.</param>
    /// <param name="score">The score.</param>
    /// <returns>The tag's text.</returns>
    public static string Tag(string name, float score) => $"{name} {score.ToString("0.00", CultureInfo.InvariantCulture)}";

    /// <summary>The image with <paramref name="detections"/> drawn on it; the lowest scores first, so the best stay on top.</summary>
    /// <param name="rgb">The image, interleaved 8-bit RGB [height, width, 3]; not changed.</param>
    /// <param name="height">Image height.</param>
    /// <param name="width">Image width.</param>
    /// <param name="detections">The detections, with masks at the image's size or none.</param>
    /// <param name="name">The name of a label.</param>
    /// <returns>The drawn image, interleaved RGB.</returns>
    /// <exception cref="ArgumentException">The pixels do not match the size, or a mask does not.</exception>
    public static byte[] Draw(byte[] rgb, int height, int width, IReadOnlyList<DetectedObject> detections, Func<long, string> name)
    {
        ArgumentNullException.ThrowIfNull(rgb);
        ArgumentNullException.ThrowIfNull(detections);
        ArgumentNullException.ThrowIfNull(name);
        if (height < 1 || width < 1 || rgb.Length != (long)height * width * 3)
            throw new ArgumentException($"rgb must hold height x width x 3 = {(long)height * width * 3} bytes, got {rgb.Length}.", nameof(rgb));
        var canvas = new Canvas((byte[])rgb.Clone(), height, width);
        int scale = Math.Max(1, Math.Min(height, width) / 320);
        for (int i = detections.Count - 1; i >= 0; i--)
            if (detections[i].Mask is { } mask)
            {
                if (mask.Length != height * width)
                    throw new ArgumentException($"Detection {i}'s mask has {mask.Length} values; the image has {height * width} pixels.", nameof(detections));
                var colour = Colour(detections[i].Label);
                for (int p = 0; p < mask.Length; p++)
                    if (mask[p] > MaskThreshold)
                        canvas.Blend(p, colour, MaskAlpha);
            }
        for (int i = detections.Count - 1; i >= 0; i--)
            DrawBox(canvas, detections[i], scale + 1);
        for (int i = detections.Count - 1; i >= 0; i--)
            DrawTag(canvas, detections[i], Tag(name(detections[i].Label), detections[i].Score), scale);
        return canvas.Pixels;
    }

    /// <summary>The box's outline, <paramref name="thickness"/> pixels wide inside the box, clipped to the image.</summary>
    private static void DrawBox(Canvas canvas, DetectedObject detection, int thickness)
    {
        var colour = Colour(detection.Label);
        var (left, top, right, bottom) = Pixels(canvas, detection);
        canvas.Fill(left, top, right, Math.Min(top + thickness - 1, bottom), colour);
        canvas.Fill(left, Math.Max(bottom - thickness + 1, top), right, bottom, colour);
        canvas.Fill(left, top, Math.Min(left + thickness - 1, right), bottom, colour);
        canvas.Fill(Math.Max(right - thickness + 1, left), top, right, bottom, colour);
    }

    /// <summary>The tag above the box's top left corner (inside the box when there is no room above), text in black or white for contrast.</summary>
    private static void DrawTag(Canvas canvas, DetectedObject detection, string text, int scale)
    {
        var colour = Colour(detection.Label);
        var (left, top, _, _) = Pixels(canvas, detection);
        int tagWidth = PixelFont.TextWidth(text, scale) + 2 * scale, tagHeight = (PixelFont.Height + 2) * scale;
        int tagTop = top - tagHeight >= 0 ? top - tagHeight : top;
        canvas.Fill(left, tagTop, left + tagWidth - 1, tagTop + tagHeight - 1, colour);
        bool light = 0.299 * colour.Red + 0.587 * colour.Green + 0.114 * colour.Blue > 140;
        var ink = light ? ((byte)0, (byte)0, (byte)0) : ((byte)255, (byte)255, (byte)255);
        for (int c = 0; c < text.Length; c++)
            for (int row = 0; row < PixelFont.Height; row++)
                for (int column = 0; column < PixelFont.Width; column++)
                    if (PixelFont.IsLit(text[c], row, column))
                    {
                        int x = left + scale + (c * (PixelFont.Width + PixelFont.Spacing) + column) * scale, y = tagTop + scale + row * scale;
                        canvas.Fill(x, y, x + scale - 1, y + scale - 1, ink);
                    }
    }

    /// <summary>The box's first and last pixel columns and rows, clipped to the image.</summary>
    private static (int Left, int Top, int Right, int Bottom) Pixels(Canvas canvas, DetectedObject detection)
    {
        static int Clip(double value, int size) => (int)Math.Clamp(value, 0, size - 1);
        int left = Clip(Math.Floor(detection.X1), canvas.Width), top = Clip(Math.Floor(detection.Y1), canvas.Height);
        int right = Math.Max(left, Clip(Math.Ceiling(detection.X2) - 1, canvas.Width));
        int bottom = Math.Max(top, Clip(Math.Ceiling(detection.Y2) - 1, canvas.Height));
        return (left, top, right, bottom);
    }

    /// <summary>Interleaved RGB pixels with clipped rectangle fills and blends.</summary>
    private sealed record Canvas(byte[] Pixels, int Height, int Width)
    {
        public void Fill(int left, int top, int right, int bottom, (byte Red, byte Green, byte Blue) colour)
        {
            for (int y = Math.Max(top, 0); y <= Math.Min(bottom, Height - 1); y++)
                for (int x = Math.Max(left, 0); x <= Math.Min(right, Width - 1); x++)
                    (Pixels[3 * (y * Width + x)], Pixels[3 * (y * Width + x) + 1], Pixels[3 * (y * Width + x) + 2]) = colour;
        }

        public void Blend(int pixel, (byte Red, byte Green, byte Blue) colour, double alpha)
        {
            Pixels[3 * pixel] = Mix(Pixels[3 * pixel], colour.Red, alpha);
            Pixels[3 * pixel + 1] = Mix(Pixels[3 * pixel + 1], colour.Green, alpha);
            Pixels[3 * pixel + 2] = Mix(Pixels[3 * pixel + 2], colour.Blue, alpha);
        }

        private static byte Mix(byte pixel, byte colour, double alpha) =>
            (byte)Math.Round(pixel + alpha * (colour - pixel), MidpointRounding.ToEven);
    }
}
