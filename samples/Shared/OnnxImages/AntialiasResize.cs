using System;

namespace ResNeStBlocks.Samples.OnnxImages;

/// <summary>
/// One antialiased resampling pass along one axis of an 8-bit RGB image, as PIL (and torch's <c>antialias=True</c>)
/// computes it: for each output pixel, the input pixels within the filter's support (widened by the scale when
/// downscaling) weighted by the filter and normalised; the result is rounded (half to even) and clamped to 8 bits.
/// Arithmetic is float32, as in the library's preprocessor.
/// </summary>
internal static class AntialiasResize
{
    /// <summary>Resizes the width of an interleaved RGB image [height, width, 3].</summary>
    public static float[] Horizontal(float[] image, int height, int width, int newWidth, bool bicubic)
    {
        var output = new float[height * newWidth * 3];
        var (starts, weights, taps) = Coefficients(width, newWidth, bicubic);
        for (int y = 0; y < height; y++)
            for (int x = 0; x < newWidth; x++)
                for (int c = 0; c < 3; c++)
                {
                    float sum = 0;
                    for (int j = 0; j < taps[x]; j++)
                        sum += weights[x][j] * image[(y * width + starts[x] + j) * 3 + c];
                    output[(y * newWidth + x) * 3 + c] = ToByte(sum);
                }
        return output;
    }

    /// <summary>Resizes the height of an interleaved RGB image [height, width, 3].</summary>
    public static float[] Vertical(float[] image, int height, int width, int newHeight, bool bicubic)
    {
        var output = new float[newHeight * width * 3];
        var (starts, weights, taps) = Coefficients(height, newHeight, bicubic);
        for (int y = 0; y < newHeight; y++)
            for (int x = 0; x < width; x++)
                for (int c = 0; c < 3; c++)
                {
                    float sum = 0;
                    for (int j = 0; j < taps[y]; j++)
                        sum += weights[y][j] * image[((starts[y] + j) * width + x) * 3 + c];
                    output[(y * width + x) * 3 + c] = ToByte(sum);
                }
        return output;
    }

    private static float ToByte(float value) => Math.Clamp(MathF.Round(value, MidpointRounding.ToEven), 0f, 255f);

    /// <summary>Per output index: the first input index, the normalised weights and their count.</summary>
    private static (int[] Starts, float[][] Weights, int[] Taps) Coefficients(int inputSize, int outputSize, bool bicubic)
    {
        float scale = (float)inputSize / outputSize;
        float halfWidth = bicubic ? 2f : 1f;
        float support = scale >= 1f ? halfWidth * scale : halfWidth;
        float invScale = scale >= 1f ? 1f / scale : 1f;
        var starts = new int[outputSize];
        var weights = new float[outputSize][];
        var taps = new int[outputSize];
        for (int i = 0; i < outputSize; i++)
        {
            float center = scale * (i + 0.5f);
            int min = Math.Max((int)(center - support + 0.5f), 0);
            int count = Math.Min((int)(center + support + 0.5f), inputSize) - min;
            var w = new float[Math.Max(count, 0)];
            float total = 0;
            for (int j = 0; j < w.Length; j++)
            {
                w[j] = Filter((j + min - center + 0.5f) * invScale, bicubic);
                total += w[j];
            }
            if (total != 0)
                for (int j = 0; j < w.Length; j++)
                    w[j] /= total;
            starts[i] = min;
            weights[i] = w;
            taps[i] = w.Length;
        }
        return (starts, weights, taps);
    }

    /// <summary>The triangle filter, or the cubic convolution filter with a = -0.5 (PIL's BICUBIC).</summary>
    private static float Filter(float x, bool bicubic)
    {
        x = MathF.Abs(x);
        if (!bicubic)
            return x < 1f ? 1f - x : 0f;
        const float a = -0.5f;
        if (x < 1f)
            return ((a + 2f) * x - (a + 3f)) * x * x + 1f;
        if (x < 2f)
            return (((x - 5f) * x + 8f) * x - 4f) * a;
        return 0f;
    }
}
