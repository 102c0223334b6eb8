using System;
using System.Collections.Generic;
using SkiaSharp;

namespace ResNeStBlocks.Samples.Data;

/// <summary>The filled shapes the samples' generated demo folders draw, and the random colours they draw them in.</summary>
public static class Shapes
{
    /// <summary>The shapes, in name order.</summary>
    public static IReadOnlyList<string> Names { get; } = new[] { "circle", "cross", "square", "triangle" };

    /// <summary>Fills <paramref name="shape"/> centred at (<paramref name="cx"/>, <paramref name="cy"/>) with half-extent <paramref name="r"/>.</summary>
    /// <param name="canvas">Where to draw.</param>
    /// <param name="shape">One of <see cref="Names"/>.</param>
    /// <param name="cx">Centre column.</param>
    /// <param name="cy">Centre row.</param>
    /// <param name="r">Half the shape's extent: the circle's radius, the triangle's and cross's half-width, 1.25 times the square's.</param>
    /// <param name="paint">Colour, fill or stroke, antialiasing.</param>
    /// <exception cref="ArgumentOutOfRangeException">The shape is unknown.</exception>
    public static void Draw(SKCanvas canvas, string shape, float cx, float cy, float r, SKPaint paint)
    {
        ArgumentNullException.ThrowIfNull(canvas);
        ArgumentNullException.ThrowIfNull(paint);
        switch (shape)
        {
            case "circle":
                canvas.DrawCircle(cx, cy, r, paint);
                break;
            case "square":
                canvas.DrawRect(cx - 0.8f * r, cy - 0.8f * r, 1.6f * r, 1.6f * r, paint);
                break;
            case "triangle":
                using (var path = new SKPath())
                {
                    path.MoveTo(cx, cy - r);
                    path.LineTo(cx + r, cy + r);
                    path.LineTo(cx - r, cy + r);
                    path.Close();
                    canvas.DrawPath(path, paint);
                }
                break;
            case "cross":
                if (paint.Style == SKPaintStyle.Fill)
                {
                    canvas.DrawRect(cx - r / 3, cy - r, 2 * r / 3, 2 * r, paint);
                    canvas.DrawRect(cx - r, cy - r / 3, 2 * r, 2 * r / 3, paint);
                }
                else
                {
                    using var outline = new SKPath();
                    outline.AddPoly(new SKPoint[]
                    {
                        new(cx - r / 3, cy - r), new(cx + r / 3, cy - r), new(cx + r / 3, cy - r / 3), new(cx + r, cy - r / 3),
                        new(cx + r, cy + r / 3), new(cx + r / 3, cy + r / 3), new(cx + r / 3, cy + r), new(cx - r / 3, cy + r),
                        new(cx - r / 3, cy + r / 3), new(cx - r, cy + r / 3), new(cx - r, cy - r / 3), new(cx - r / 3, cy - r / 3),
                    });
                    canvas.DrawPath(outline, paint);
                }
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(shape), shape, $"Unknown shape '{shape}'; expected one of {string.Join(", ", Names)}.");
        }
    }

    /// <summary>A colour with random red, green and blue.</summary>
    /// <param name="random">The source of randomness.</param>
    /// <param name="alpha">The colour's alpha.</param>
    /// <returns>The colour.</returns>
    public static SKColor RandomColour(Random random, byte alpha)
    {
        ArgumentNullException.ThrowIfNull(random);
        return new((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256), alpha);
    }

    /// <summary>Euclidean distance of two colours in RGB (alpha ignored), 0 to about 442.</summary>
    /// <param name="a">One colour.</param>
    /// <param name="b">The other.</param>
    /// <returns>The distance.</returns>
    public static double Distance(SKColor a, SKColor b) =>
        Math.Sqrt(Math.Pow(a.Red - b.Red, 2) + Math.Pow(a.Green - b.Green, 2) + Math.Pow(a.Blue - b.Blue, 2));
}
