using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using ResNeStBlocks.Samples.OnnxImages;
using ResNeStBlocks.Samples.Data;
using ResNeStBlocks.Vision;
using SkiaSharp;

namespace ResNeStBlocks.Samples.Segment;

/// <summary>
/// Writes a segmentation folder of generated scenes, so the sample runs on a fresh clone: one to three filled shapes
/// (circle, cross, square, triangle) in vivid colours of any hue at random places and sizes, overlapping at times, on a
/// greyish background cluttered with lines and specks that belong to no class. Each mask marks the shapes' pixels with their class and a thin
/// border around every shape with 255 (ignored, as Pascal VOC marks object borders). Most masks are palette PNGs, every
/// fourth an 8-bit greyscale PNG; every fifth image is a JPEG.
/// </summary>
public static class DemoScenes
{
    /// <summary>The classes written to <c>classes.txt</c>: background, then the shapes.</summary>
    public static IReadOnlyList<string> Classes { get; } = new[] { "background" }.Concat(Shapes.Names).ToArray();

    /// <summary>Width of a shape's ignored border in the mask, in pixels.</summary>
    public const float BorderWidth = 2;

    /// <summary>Writes <paramref name="count"/> scenes under <paramref name="directory"/>: <c>images/</c>, <c>masks/</c> and <c>classes.txt</c>.</summary>
    /// <param name="directory">The folder (created; files of the same names are replaced).</param>
    /// <param name="count">Scenes, at least 2.</param>
    /// <param name="seed">Seed of the scenes.</param>
    /// <param name="minSide">Smallest image side.</param>
    /// <param name="maxSide">Largest image side.</param>
    /// <param name="shapeColours">A fixed colour per shape class (in <see cref="Shapes.Names"/> order), for an easier task; null draws random colours.</param>
    /// <returns>Number of scenes written.</returns>
    public static int Write(string directory, int count = 400, int seed = 11, int minSide = 96, int maxSide = 128,
        IReadOnlyList<SKColor>? shapeColours = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (count < 2)
            throw new ArgumentOutOfRangeException(nameof(count), count, $"count must be at least 2, got {count}.");
        string images = Path.Combine(directory, "images"), masks = Path.Combine(directory, "masks");
        Directory.CreateDirectory(images);
        Directory.CreateDirectory(masks);
        File.WriteAllLines(Path.Combine(directory, SegmentationFolder.ClassFileName), Classes);
        var random = new Random(seed);
        var palette = VocPalette.All();
        for (int i = 0; i < count; i++)
        {
            int width = random.Next(minSide, maxSide + 1), height = random.Next(minSide, maxSide + 1);
            var (image, mask) = Render(width, height, random, shapeColours);
            string name = $"scene_{i:D4}";
            bool jpeg = i % 5 == 4;
            File.WriteAllBytes(Path.Combine(images, name + (jpeg ? ".jpg" : ".png")), Encode(image, jpeg));
            if (i % 4 == 3)
                MaskPng.WriteGrey(Path.Combine(masks, name + ".png"), mask);
            else
                MaskPng.WritePalette(Path.Combine(masks, name + ".png"), mask, palette);
            image.Dispose();
        }
        return count;
    }

    /// <summary>Draws one scene and its mask.</summary>
    /// <param name="width">Width in pixels.</param>
    /// <param name="height">Height in pixels.</param>
    /// <param name="random">The source of randomness.</param>
    /// <param name="shapeColours">A fixed colour per shape class, or null for random colours.</param>
    /// <returns>The picture (the caller disposes it) and its mask.</returns>
    public static (SKBitmap Image, ClassMask Mask) Render(int width, int height, Random random, IReadOnlyList<SKColor>? shapeColours = null)
    {
        ArgumentNullException.ThrowIfNull(random);
        var image = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        // The mask is drawn without antialiasing, its class index in the red channel.
        using var labels = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        using (var canvas = new SKCanvas(image))
        using (var maskCanvas = new SKCanvas(labels))
        {
            var background = Muted(random);
            canvas.Clear(background);
            maskCanvas.Clear(new SKColor(0, 0, 0));
            DrawClutter(canvas, width, height, random);
            int shapes = random.Next(1, 4);
            using var fill = new SKPaint { IsAntialias = true, Style = SKPaintStyle.Fill };
            using var labelFill = new SKPaint { IsAntialias = false, Style = SKPaintStyle.Fill };
            using var border = new SKPaint { IsAntialias = false, Style = SKPaintStyle.Stroke, StrokeWidth = BorderWidth, Color = new SKColor(SegmentationFolder.IgnoreIndex, 0, 0) };
            for (int s = 0; s < shapes; s++)
            {
                int label = random.Next(Shapes.Names.Count);
                SKColor colour;
                do colour = shapeColours?[label] ?? Vivid(random);
                while (shapeColours is null && Shapes.Distance(colour, background) < 100);
                float r = Math.Min(width, height) * (float)(0.16 + 0.16 * random.NextDouble());
                float cx = r + (float)random.NextDouble() * (width - 2 * r);
                float cy = r + (float)random.NextDouble() * (height - 2 * r);
                fill.Color = colour;
                Shapes.Draw(canvas, Shapes.Names[label], cx, cy, r, fill);
                labelFill.Color = new SKColor((byte)(label + 1), 0, 0);
                Shapes.Draw(maskCanvas, Shapes.Names[label], cx, cy, r, labelFill);
                Shapes.Draw(maskCanvas, Shapes.Names[label], cx, cy, r, border);
            }
        }
        var indices = new byte[width * height];
        var pixels = labels.Pixels;
        for (int p = 0; p < indices.Length; p++)
            indices[p] = pixels[p].Red;
        return (image, new ClassMask(width, height, indices));
    }

    /// <summary>Lines and specks in random colours: edges and blobs the network must learn to call background.</summary>
    private static void DrawClutter(SKCanvas canvas, int width, int height, Random random)
    {
        using var pen = new SKPaint { IsAntialias = true, Style = SKPaintStyle.Stroke };
        for (int line = 0; line < 6; line++)
        {
            pen.Color = Muted(random).WithAlpha(140);
            pen.StrokeWidth = 1 + 2 * (float)random.NextDouble();
            canvas.DrawLine(random.Next(width), random.Next(height), random.Next(width), random.Next(height), pen);
        }
        using var speck = new SKPaint { IsAntialias = true, Style = SKPaintStyle.Fill };
        for (int s = 0; s < 12; s++)
        {
            speck.Color = Muted(random);
            canvas.DrawCircle(random.Next(width), random.Next(height), 1 + 2 * (float)random.NextDouble(), speck);
        }
    }

    /// <summary>A grey with a slight tint: the scenes' background and clutter.</summary>
    private static SKColor Muted(Random random)
    {
        int grey = random.Next(50, 206);
        byte Channel() => (byte)Math.Clamp(grey + random.Next(-24, 25), 0, 255);
        return new SKColor(Channel(), Channel(), Channel());
    }

    /// <summary>A saturated colour of any hue: the shapes'.</summary>
    private static SKColor Vivid(Random random) =>
        SKColor.FromHsv(random.Next(360), 65 + 35 * (float)random.NextDouble(), 60 + 40 * (float)random.NextDouble());

    private static byte[] Encode(SKBitmap bitmap, bool jpeg)
    {
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(jpeg ? SKEncodedImageFormat.Jpeg : SKEncodedImageFormat.Png, 90);
        return data.ToArray();
    }
}
