using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using Microsoft.ML.OnnxRuntime;
using ResNeStBlocks.Samples.OnnxImages;
using StbImageSharp;

namespace ResNeStBlocks.Samples.OnnxSegment;

/// <summary>
/// Segments images with a segmentation model exported by ResNeStBlocks.Onnx (output <c>out</c>, [batch, classes, H, W]):
/// ONNX Runtime on the CPU and the preprocessing from the model's own metadata. No TorchSharp.
/// </summary>
/// <remarks>
/// A model exported with dynamic height and width sees the whole image, its shorter side resized as the metadata says
/// (torchvision's segmentation transform); a model of fixed size sees the center crop a classifier would see, and the
/// pixels outside it are <see cref="SegmentationMask.Unseen"/>. Either way the mask is mapped back to the image's own
/// size, each image pixel taking the class at its centre in the model's view.
/// </remarks>
public sealed class OnnxImageSegmenter : IDisposable
{
    /// <summary>The output read: a segmentation model's main logits.</summary>
    public const string OutputName = "out";

    private readonly InferenceSession session;
    private readonly bool anySize;

    /// <summary>Loads the model with every graph optimization on.</summary>
    /// <param name="modelPath">The .onnx file.</param>
    /// <param name="threads">Intra-op threads (0: ONNX Runtime's default).</param>
    /// <exception cref="InvalidDataException">The model is not a segmentation model, or its metadata lacks the class count.</exception>
    /// <exception cref="KeyNotFoundException">The model's metadata lacks the preprocessing.</exception>
    public OnnxImageSegmenter(string modelPath, int threads = 0)
    {
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, IntraOpNumThreads = threads };
        session = new InferenceSession(modelPath, options);
        try
        {
            if (!session.OutputNames.Contains(OutputName))
                throw new InvalidDataException(
                    $"{modelPath} has no output '{OutputName}' (its outputs: {string.Join(", ", session.OutputNames)}); export a SegmentationModel.");
            var metadata = session.ModelMetadata.CustomMetadataMap;
            Preprocessor = RgbPreprocessor.FromMetadata(metadata.AsReadOnly());
            NumClasses = metadata.TryGetValue("num_classes", out var classes) && int.TryParse(classes, NumberStyles.None, CultureInfo.InvariantCulture, out int count)
                && count is > 0 and < SegmentationMask.Unseen
                ? count
                : throw new InvalidDataException($"{modelPath} does not state a class count from 1 to {SegmentationMask.Unseen - 1} in its metadata ('num_classes').");
            var dimensions = session.InputMetadata["input"].Dimensions;
            anySize = dimensions[2] < 0 || dimensions[3] < 0;
            if (!anySize && (dimensions[2] != Preprocessor.InputSize || dimensions[3] != Preprocessor.InputSize))
                throw new InvalidDataException(
                    $"{modelPath} takes {dimensions[2]}x{dimensions[3]} images but its metadata says {Preprocessor.InputSize}; export it with DynamicSpatialSize = true.");
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>The preprocessing the model's metadata asks for.</summary>
    public RgbPreprocessor Preprocessor { get; }

    /// <summary>The classes the model predicts.</summary>
    public int NumClasses { get; }

    /// <summary>Whether the model takes images of any size (whole image) rather than a fixed crop.</summary>
    public bool TakesAnySize => anySize;

    /// <summary>The class of every pixel of a decoded image.</summary>
    /// <param name="image">Interleaved 8-bit RGB.</param>
    /// <returns>The mask at the image's size.</returns>
    public SegmentationMask Segment(ImageResult image)
    {
        ArgumentNullException.ThrowIfNull(image);
        int height = image.Height, width = image.Width;
        var (resizedHeight, resizedWidth) = Preprocessor.ResizedSize(height, width);
        float[] pixels;
        int viewHeight, viewWidth, top = 0, left = 0;
        if (anySize)
        {
            (pixels, viewHeight, viewWidth) = Preprocessor.ProcessWhole(image.Data, height, width);
        }
        else
        {
            pixels = Preprocessor.Process(image.Data, height, width);
            viewHeight = viewWidth = Preprocessor.InputSize;
            (top, left) = Preprocessor.CropOrigin(height, width);
        }
        var view = Classes(pixels, viewHeight, viewWidth);

        // Each image pixel takes the class at its centre in the resized image, if the model saw that point.
        var rows = Enumerable.Range(0, height).Select(y => Nearest(y, height, resizedHeight) - top).ToArray();
        var columns = Enumerable.Range(0, width).Select(x => Nearest(x, width, resizedWidth) - left).ToArray();
        var classes = new byte[height * width];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                int row = rows[y], column = columns[x];
                classes[y * width + x] = row >= 0 && row < viewHeight && column >= 0 && column < viewWidth
                    ? view[row * viewWidth + column]
                    : SegmentationMask.Unseen;
            }
        return new SegmentationMask(classes, height, width, NumClasses);
    }

    /// <summary>The class of an image file's pixels.</summary>
    /// <param name="imagePath">The image.</param>
    /// <returns>The decoded image and its mask.</returns>
    public (ImageResult Image, SegmentationMask Mask) Segment(string imagePath)
    {
        var image = ImageFiles.Decode(imagePath);
        return (image, Segment(image));
    }

    /// <summary>Runs the model on one preprocessed image [3, H, W] and takes each pixel's most likely class.</summary>
    private byte[] Classes(float[] pixels, int height, int width)
    {
        using var input = OrtValue.CreateTensorValueFromMemory(pixels, new long[] { 1, 3, height, width });
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, new[] { "input" }, new[] { input }, new[] { OutputName });
        var shape = outputs[0].GetTensorTypeAndShape().Shape;
        if (shape.Length != 4 || shape[1] != NumClasses || shape[2] != height || shape[3] != width)
            throw new InvalidDataException(
                $"The model's '{OutputName}' has shape [{string.Join(", ", shape)}]; expected [1, {NumClasses}, {height}, {width}] (classes at the input's size).");
        var logits = outputs[0].GetTensorDataAsSpan<float>();
        int plane = height * width;
        var classes = new byte[plane];
        for (int i = 0; i < plane; i++)
        {
            int best = 0;
            float bestLogit = logits[i];
            for (int c = 1; c < NumClasses; c++)
            {
                float logit = logits[c * plane + i];
                if (logit > bestLogit)
                {
                    best = c;
                    bestLogit = logit;
                }
            }
            classes[i] = (byte)best;
        }
        return classes;
    }

    /// <summary>The index whose pixel holds the centre of pixel <paramref name="index"/> after resizing <paramref name="size"/> to <paramref name="resized"/>.</summary>
    private static int Nearest(int index, int size, int resized) => Math.Min((int)((index + 0.5) * resized / size), resized - 1);

    /// <inheritdoc />
    public void Dispose() => session.Dispose();
}
