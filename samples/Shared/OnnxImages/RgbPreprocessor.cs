using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using ResNeStBlocks.Preprocessing;

namespace ResNeStBlocks.Samples.OnnxImages;

/// <summary>
/// timm's eval preprocessing without torch, for an 8-bit RGB image: resize the shorter side to
/// <c>floor(inputSize / cropFraction)</c> (antialiased, horizontal then vertical, 8-bit rounding after each pass
/// as PIL does), center-crop, scale to [0, 1], normalise. Matches the library's <c>ImagePreprocessor</c> on uint8 images.
/// For a model that takes any size (a segmentation model exported with dynamic height and width),
/// <see cref="ProcessWhole"/> skips the crop, as torchvision's segmentation transform does.
/// </summary>
public sealed class RgbPreprocessor
{
    private readonly float[] mean;
    private readonly float[] std;

    /// <summary>Creates a preprocessor.</summary>
    /// <param name="inputSize">Side of the square network input.</param>
    /// <param name="cropFraction">timm <c>crop_pct</c>, in (0, 1].</param>
    /// <param name="bicubic">Bicubic filter; bilinear otherwise.</param>
    /// <param name="mean">RGB means.</param>
    /// <param name="std">RGB standard deviations.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size or fraction is out of range, or mean/std do not have three values.</exception>
    public RgbPreprocessor(int inputSize, double cropFraction, bool bicubic, IReadOnlyList<float> mean, IReadOnlyList<float> std)
    {
        if (inputSize < 1)
            throw new ArgumentOutOfRangeException(nameof(inputSize), inputSize, $"inputSize must be at least 1, got {inputSize}.");
        if (!(cropFraction > 0 && cropFraction <= 1))
            throw new ArgumentOutOfRangeException(nameof(cropFraction), cropFraction, $"cropFraction must be in (0, 1], got {cropFraction}.");
        if (mean.Count != 3 || std.Count != 3)
            throw new ArgumentOutOfRangeException(nameof(mean), $"mean and std must have 3 values (R, G, B), got {mean.Count} and {std.Count}.");
        InputSize = inputSize;
        Bicubic = bicubic;
        ResizeSize = ResizeGeometry.ScaleSize(inputSize, cropFraction);
        this.mean = mean.ToArray();
        this.std = std.ToArray();
    }

    /// <summary>
    /// The preprocessing recorded in an exported model's metadata (keys <c>input_size</c>, <c>crop_pct</c>,
    /// <c>interpolation</c>, <c>mean</c>, <c>std</c>, written by ResNeStBlocks.Onnx).
    /// </summary>
    /// <param name="metadata">ONNX Runtime's <c>ModelMetadata.CustomMetadataMap</c>.</param>
    /// <returns>The preprocessor.</returns>
    /// <exception cref="KeyNotFoundException">The model was exported without a pretrained configuration.</exception>
    public static RgbPreprocessor FromMetadata(IReadOnlyDictionary<string, string> metadata)
    {
        string Get(string key) => metadata.TryGetValue(key, out var value) ? value
            : throw new KeyNotFoundException($"The model's metadata has no '{key}': export it with OnnxExportOptions.Pretrained set.");
        float[] Floats(string key) => Get(key).Split(',').Select(v => float.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        int size = int.Parse(Get("input_size").Split(',')[^1], CultureInfo.InvariantCulture);
        return new RgbPreprocessor(size, double.Parse(Get("crop_pct"), CultureInfo.InvariantCulture),
            Get("interpolation") == "bicubic", Floats("mean"), Floats("std"));
    }

    /// <summary>Side of the square output.</summary>
    public int InputSize { get; }

    /// <summary>The shorter side after resizing.</summary>
    public int ResizeSize { get; }

    /// <summary>Whether the resize filter is bicubic.</summary>
    public bool Bicubic { get; }

    /// <summary>Preprocesses one image for a classifier: resize, center crop, normalise.</summary>
    /// <param name="rgb">Interleaved 8-bit RGB pixels [height, width, 3], as decoders produce them.</param>
    /// <param name="height">Image height.</param>
    /// <param name="width">Image width.</param>
    /// <returns>A float32 tensor [3, InputSize, InputSize] in row-major order.</returns>
    /// <exception cref="ArgumentException">The pixel count does not match the size.</exception>
    public float[] Process(byte[] rgb, int height, int width)
    {
        var (pixels, _, newWidth) = Resize(rgb, height, width);
        var (top, left) = CropOrigin(height, width);
        return Normalise(pixels, newWidth, top, left, InputSize, InputSize);
    }

    /// <summary>
    /// Preprocesses one image for a dense predictor that takes any size (torchvision's <c>SemanticSegmentation</c>
    /// transform): resize the shorter side to <see cref="ResizeSize"/>, normalise, no crop.
    /// </summary>
    /// <param name="rgb">Interleaved 8-bit RGB pixels [height, width, 3].</param>
    /// <param name="height">Image height.</param>
    /// <param name="width">Image width.</param>
    /// <returns>A float32 tensor [3, Height, Width] in row-major order, with the resized size.</returns>
    /// <exception cref="ArgumentException">The pixel count does not match the size.</exception>
    public (float[] Pixels, int Height, int Width) ProcessWhole(byte[] rgb, int height, int width)
    {
        var (pixels, newHeight, newWidth) = Resize(rgb, height, width);
        return (Normalise(pixels, newWidth, 0, 0, newHeight, newWidth), newHeight, newWidth);
    }

    /// <summary>The size an image is resized to before any crop: the shorter side becomes <see cref="ResizeSize"/>.</summary>
    /// <param name="height">Image height.</param>
    /// <param name="width">Image width.</param>
    /// <returns>The resized height and width.</returns>
    public (int Height, int Width) ResizedSize(int height, int width)
    {
        var (newHeight, newWidth) = ResizeGeometry.ShorterSideTo(height, width, ResizeSize);
        return ((int)newHeight, (int)newWidth);
    }

    /// <summary>Where <see cref="Process"/>'s crop starts in the resized image (torchvision's <c>center_crop</c>).</summary>
    /// <param name="height">Image height.</param>
    /// <param name="width">Image width.</param>
    /// <returns>The first row and column of the crop.</returns>
    public (int Top, int Left) CropOrigin(int height, int width)
    {
        var (newHeight, newWidth) = ResizedSize(height, width);
        return ((int)ResizeGeometry.CropOffset(newHeight, InputSize), (int)ResizeGeometry.CropOffset(newWidth, InputSize));
    }

    /// <summary>The antialiased resize in 8-bit steps (horizontal, then vertical), as float values of the RGB bytes.</summary>
    private (float[] Pixels, int Height, int Width) Resize(byte[] rgb, int height, int width)
    {
        if (height < 1 || width < 1 || rgb.Length != (long)height * width * 3)
            throw new ArgumentException($"rgb must hold height x width x 3 = {(long)height * width * 3} bytes, got {rgb.Length}.", nameof(rgb));
        var (newHeight, newWidth) = ResizedSize(height, width);
        var pixels = rgb.Select(b => (float)b).ToArray();
        if (newWidth != width)
            pixels = AntialiasResize.Horizontal(pixels, height, width, newWidth, Bicubic);
        if (newHeight != height)
            pixels = AntialiasResize.Vertical(pixels, height, newWidth, newHeight, Bicubic);
        return (pixels, newHeight, newWidth);
    }

    /// <summary>A window of the interleaved image, scaled to [0, 1], normalised and laid out channel-first.</summary>
    private float[] Normalise(float[] pixels, int imageWidth, int top, int left, int outHeight, int outWidth)
    {
        var output = new float[3 * outHeight * outWidth];
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < outHeight; y++)
                for (int x = 0; x < outWidth; x++)
                {
                    float value = pixels[((top + y) * imageWidth + left + x) * 3 + c] / 255f;
                    output[(c * outHeight + y) * outWidth + x] = (value - mean[c]) / std[c];
                }
        return output;
    }
}
