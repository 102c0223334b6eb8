using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using SkiaSharp;

namespace ResNeStBlocks.Samples.Detect;

/// <summary>
/// The generated demo folder (<c>--make-demo-data DIR</c>): squares, circles and triangles, each class in its own hue,
/// one to four per image without overlap, on textured backgrounds (a random two-colour gradient, stripes and pixel
/// noise), written in the COCO layout: <c>annotations/instances_train.json</c> and <c>instances_val.json</c> with boxes
/// and polygon masks, the PNGs under <c>train/</c> and <c>val/</c>. Each shape is drawn from the polygon that is its
/// mask, so masks and pixels agree.
/// </summary>
public static class DemoShapes
{
    /// <summary>The classes, in category order (ids 1, 2, 3).</summary>
    public static IReadOnlyList<string> Classes { get; } = new[] { "square", "circle", "triangle" };

    /// <summary>Side of the square images.</summary>
    public const int Size = 128;

    /// <summary>Writes the folder.</summary>
    /// <param name="directory">The folder to create (or add to).</param>
    /// <param name="trainImages">Training images.</param>
    /// <param name="valImages">Validation images.</param>
    /// <param name="seed">The generator's seed: the same seed writes the same files.</param>
    public static void Write(string directory, int trainImages, int valImages, int seed)
    {
        Directory.CreateDirectory(Path.Combine(directory, "annotations"));
        WriteSplit(directory, "train", trainImages, new Random(seed));
        WriteSplit(directory, "val", valImages, new Random(seed + 7919));
    }

    private static void WriteSplit(string directory, string split, int count, Random random)
    {
        string folder = Path.Combine(directory, split);
        Directory.CreateDirectory(folder);
        var images = new List<object>();
        var annotations = new List<object>();
        for (int i = 0; i < count; i++)
        {
            string name = $"{split}_{i:D4}.png";
            var objects = Draw(Path.Combine(folder, name), random);
            images.Add(new Dictionary<string, object> { ["id"] = i + 1, ["width"] = Size, ["height"] = Size, ["file_name"] = name });
            foreach (var (category, polygon) in objects)
            {
                double x1 = polygon.Where((_, k) => k % 2 == 0).Min(), x2 = polygon.Where((_, k) => k % 2 == 0).Max();
                double y1 = polygon.Where((_, k) => k % 2 == 1).Min(), y2 = polygon.Where((_, k) => k % 2 == 1).Max();
                annotations.Add(new Dictionary<string, object>
                {
                    ["id"] = annotations.Count + 1,
                    ["image_id"] = i + 1,
                    ["category_id"] = category + 1,
                    ["bbox"] = new[] { Round(x1), Round(y1), Round(x2 - x1), Round(y2 - y1) },
                    ["area"] = Round(Area(polygon)),
                    ["iscrowd"] = 0,
                    ["segmentation"] = new[] { polygon.Select(Round).ToArray() },
                });
            }
        }
        var file = new Dictionary<string, object>
        {
            ["images"] = images,
            ["annotations"] = annotations,
            ["categories"] = Classes.Select((c, k) => new Dictionary<string, object> { ["id"] = k + 1, ["name"] = c }).ToArray(),
        };
        File.WriteAllText(Path.Combine(directory, "annotations", $"instances_{split}.json"), JsonSerializer.Serialize(file));
    }

    private static double Round(double v) => Math.Round(v, 2);

    private static double Area(double[] p)
    {
        double sum = 0;
        int n = p.Length / 2;
        for (int k = 0; k < n; k++)
        {
            int j = (k + 1) % n;
            sum += p[2 * k] * p[2 * j + 1] - p[2 * j] * p[2 * k + 1];
        }
        return Math.Abs(sum) / 2;
    }

    /// <summary>Draws one image and returns its objects (category index, polygon).</summary>
    private static List<(int Category, double[] Polygon)> Draw(string path, Random random)
    {
        using var bitmap = new SKBitmap(Size, Size, SKColorType.Rgba8888, SKAlphaType.Premul);
        using (var canvas = new SKCanvas(bitmap))
        {
            Background(canvas, random);
            var placed = new List<(double X1, double Y1, double X2, double Y2)>();
            var objects = new List<(int, double[])>();
            int wanted = 1 + random.Next(4);
            for (int attempt = 0; attempt < 50 && objects.Count < wanted; attempt++)
            {
                int category = random.Next(Classes.Count);
                double r = 10 + random.NextDouble() * 16;
                double cx = r + 2 + random.NextDouble() * (Size - 2 * r - 4), cy = r + 2 + random.NextDouble() * (Size - 2 * r - 4);
                var box = (cx - r - 3, cy - r - 3, cx + r + 3, cy + r + 3);
                if (placed.Any(b => b.X1 < box.Item3 && box.Item1 < b.X2 && b.Y1 < box.Item4 && box.Item2 < b.Y2))
                    continue;
                placed.Add(box);
                var polygon = Polygon(category, cx, cy, r, random.NextDouble() * Math.PI * 2);
                using var paint = new SKPaint { Color = Colour(category, random), IsAntialias = false, Style = SKPaintStyle.Fill };
                using var shape = new SKPath();
                shape.MoveTo((float)polygon[0], (float)polygon[1]);
                for (int k = 2; k < polygon.Length; k += 2)
                    shape.LineTo((float)polygon[k], (float)polygon[k + 1]);
                shape.Close();
                canvas.DrawPath(shape, paint);
                objects.Add((category, polygon));
            }
            Noise(bitmap, random);
            using var image = SKImage.FromBitmap(bitmap);
            using var png = image.Encode(SKEncodedImageFormat.Png, 100);
            using var stream = File.Create(path);
            png.SaveTo(stream);
            return objects;
        }
    }

    /// <summary>A square (turned), a circle (a 24-gon) or a triangle (turned) of half-extent <paramref name="r"/>.</summary>
    private static double[] Polygon(int category, double cx, double cy, double r, double angle)
    {
        int corners = category switch { 0 => 4, 1 => 24, _ => 3 };
        if (category == 0)
            angle = angle % (Math.PI / 8) - Math.PI / 16;
        var points = new double[corners * 2];
        for (int k = 0; k < corners; k++)
        {
            double a = angle + 2 * Math.PI * k / corners;
            points[2 * k] = Math.Clamp(cx + r * Math.Cos(a), 0, Size);
            points[2 * k + 1] = Math.Clamp(cy + r * Math.Sin(a), 0, Size);
        }
        return points;
    }

    /// <summary>Each class's hue (red squares, green circles, blue triangles) with random lightness.</summary>
    private static SKColor Colour(int category, Random random)
    {
        byte strong = (byte)(170 + random.Next(86)), weak1 = (byte)random.Next(90), weak2 = (byte)random.Next(90);
        return category switch
        {
            0 => new SKColor(strong, weak1, weak2),
            1 => new SKColor(weak1, strong, weak2),
            _ => new SKColor(weak1, weak2, strong),
        };
    }

    private static void Background(SKCanvas canvas, Random random)
    {
        SKColor Grey() { byte v = (byte)(60 + random.Next(140)); return new SKColor((byte)Math.Clamp(v + random.Next(-25, 26), 0, 255), v, (byte)Math.Clamp(v + random.Next(-25, 26), 0, 255)); }
        using var gradient = new SKPaint
        {
            Shader = SKShader.CreateLinearGradient(new SKPoint(0, 0), new SKPoint(Size, (float)(random.NextDouble() * Size)), new[] { Grey(), Grey() }, SKShaderTileMode.Clamp),
        };
        canvas.DrawRect(0, 0, Size, Size, gradient);
        using var stripe = new SKPaint { Color = Grey().WithAlpha(70), StrokeWidth = 2 + random.Next(4), IsAntialias = true };
        float spacing = 8 + random.Next(12), slope = (float)(random.NextDouble() * 2 - 1) * Size;
        for (float x = -Size; x < 2 * Size; x += spacing)
            canvas.DrawLine(x, 0, x + slope, Size, stripe);
    }

    private static void Noise(SKBitmap bitmap, Random random)
    {
        for (int y = 0; y < Size; y++)
            for (int x = 0; x < Size; x++)
            {
                var c = bitmap.GetPixel(x, y);
                int n = random.Next(-12, 13);
                bitmap.SetPixel(x, y, new SKColor((byte)Math.Clamp(c.Red + n, 0, 255), (byte)Math.Clamp(c.Green + n, 0, 255), (byte)Math.Clamp(c.Blue + n, 0, 255)));
            }
    }

    /// <summary>The invariant-culture text of a number (for messages).</summary>
    internal static string Text(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);
}
