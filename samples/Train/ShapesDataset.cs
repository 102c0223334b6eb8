using System;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNeStBlocks.Samples.Train;

/// <summary>
/// A deterministic synthetic image-classification task: small RGB images of one filled shape (circle, square,
/// triangle or cross) with random position, size and colours on a noisy background; the class is the shape.
/// The same seed always gives the same images.
/// </summary>
public sealed class ShapesDataset : IDisposable
{
    // Pixel normalisation, held for the process: a temporary Scalar can be finalized during its native call (TorchSharp 0.107).
    private static readonly Scalar Mean = 0.5, Std = 0.25;

    /// <summary>Number of classes (the values of <see cref="Shape"/>).</summary>
    public static int NumClasses => Enum.GetValues<Shape>().Length;

    private ShapesDataset(Tensor images, Tensor labels)
    {
        Images = images;
        Labels = labels;
    }

    /// <summary>Normalised images [N, 3, size, size], float32 (pixel values in [0, 1] mapped to about [-2, 2]).</summary>
    public Tensor Images { get; }

    /// <summary>Class indices [N], int64.</summary>
    public Tensor Labels { get; }

    /// <summary>Number of images.</summary>
    public long Count => Labels.shape[0];

    /// <summary>Draws <paramref name="count"/> images, classes in equal shares (in random order).</summary>
    /// <param name="count">Number of images, at least 1.</param>
    /// <param name="size">Image side in pixels, at least 16.</param>
    /// <param name="seed">Seed of the generator.</param>
    /// <returns>The dataset; dispose it to free the tensors.</returns>
    public static ShapesDataset Generate(int count, int size, int seed)
    {
        if (count < 1)
            throw new ArgumentOutOfRangeException(nameof(count), count, "count must be at least 1.");
        if (size < 16)
            throw new ArgumentOutOfRangeException(nameof(size), size, "size must be at least 16 pixels.");
        var random = new Random(seed);
        int plane = size * size;
        var pixels = new float[count * 3 * plane];
        var labels = new long[count];
        for (int n = 0; n < count; n++)
        {
            var shape = (Shape)(n % NumClasses);
            labels[n] = (long)shape;
            Draw(random, shape, size, pixels.AsSpan(n * 3 * plane, 3 * plane));
        }
        Shuffle(random, pixels, labels, 3 * plane);
        var images = tensor(pixels, new long[] { count, 3, size, size }).sub_(Mean).div_(Std);
        return new ShapesDataset(images, tensor(labels));
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Images.Dispose();
        Labels.Dispose();
    }

    /// <summary>Whether pixel (<paramref name="dx"/>, <paramref name="dy"/>) from the centre lies inside a shape of half-extent <paramref name="r"/>.</summary>
    public static bool Inside(Shape shape, double dx, double dy, double r) => shape switch
    {
        Shape.Circle => dx * dx + dy * dy <= r * r,
        Shape.Square => Math.Abs(dx) <= 0.8 * r && Math.Abs(dy) <= 0.8 * r,
        // Apex at (0, -r), base from (-r, r) to (r, r).
        Shape.Triangle => dy >= -r && dy <= r && Math.Abs(dx) <= (dy + r) / 2,
        Shape.Cross => (Math.Abs(dx) <= r / 3 && Math.Abs(dy) <= r) || (Math.Abs(dy) <= r / 3 && Math.Abs(dx) <= r),
        _ => throw new ArgumentOutOfRangeException(nameof(shape), shape, "Unknown shape."),
    };

    private static void Draw(Random random, Shape shape, int size, Span<float> image)
    {
        int plane = size * size;
        var background = RandomColour(random);
        float[] foreground;
        do foreground = RandomColour(random);
        while (Distance(background, foreground) < 0.6);

        double r = size * (0.18 + 0.17 * random.NextDouble());
        double cx = r + 1 + random.NextDouble() * (size - 2 * r - 3);
        double cy = r + 1 + random.NextDouble() * (size - 2 * r - 3);
        for (int y = 0; y < size; y++)
        {
            for (int x = 0; x < size; x++)
            {
                bool inside = Inside(shape, x - cx, y - cy, r);
                var colour = inside ? foreground : background;
                for (int c = 0; c < 3; c++)
                {
                    double noise = 0.08 * Gaussian(random);
                    image[c * plane + y * size + x] = (float)Math.Clamp(colour[c] + noise, 0, 1);
                }
            }
        }
    }

    private static float[] RandomColour(Random random) =>
        new[] { (float)random.NextDouble(), (float)random.NextDouble(), (float)random.NextDouble() };

    private static double Distance(float[] a, float[] b) =>
        Math.Sqrt(((a[0] - b[0]) * (a[0] - b[0])) + ((a[1] - b[1]) * (a[1] - b[1])) + ((a[2] - b[2]) * (a[2] - b[2])));

    private static double Gaussian(Random random)
    {
        double u = 1 - random.NextDouble();
        double v = random.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u)) * Math.Cos(2 * Math.PI * v);
    }

    private static void Shuffle(Random random, float[] pixels, long[] labels, int stride)
    {
        var buffer = new float[stride];
        for (int i = labels.Length - 1; i > 0; i--)
        {
            int j = random.Next(i + 1);
            (labels[i], labels[j]) = (labels[j], labels[i]);
            pixels.AsSpan(i * stride, stride).CopyTo(buffer);
            pixels.AsSpan(j * stride, stride).CopyTo(pixels.AsSpan(i * stride, stride));
            buffer.CopyTo(pixels.AsSpan(j * stride, stride));
        }
    }
}
