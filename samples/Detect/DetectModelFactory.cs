using System;
using System.Collections.Generic;
using System.Linq;
using ResNeStBlocks.Dense;
using ResNeStBlocks.Detection.Models;

namespace ResNeStBlocks.Samples.Detect;

/// <summary>
/// The detectors the sample trains: every <see cref="DetectionModels.Names"/> name, and <c>fasterrcnn_tiny_fpn</c>, a
/// small Faster R-CNN for the demo built through <see cref="DetectionModels.CreateFasterRcnn"/>: a one-bottleneck-per-stage
/// ResNet body with BatchNorm (all of it trained, from scratch), a 64-channel pyramid, anchors 16 to 256 pixels and a
/// 256-wide box head, on images resized to 128 pixels.
/// </summary>
public static class DetectModelFactory
{
    /// <summary>The demo's model.</summary>
    public const string TinyModel = "fasterrcnn_tiny_fpn";

    /// <summary>The tiny model's image size (MinSize and MaxSize).</summary>
    public const int TinySize = 128;

    /// <summary>Every name <c>--model</c> takes.</summary>
    public static IReadOnlyList<string> Names { get; } = DetectionModels.Names.Append(TinyModel).ToArray();

    /// <summary>The options the sample builds a model with: torchvision's, with the image size and the test-time proposal counts of small images.</summary>
    /// <param name="model">The model's name.</param>
    /// <param name="minSize">MinSize; null for the model's default.</param>
    /// <param name="maxSize">MaxSize; null for the model's default.</param>
    /// <returns>The options.</returns>
    public static DetectionOptions Options(string model, int? minSize, int? maxSize)
    {
        if (model != TinyModel)
            return new DetectionOptions { MinSize = minSize ?? 800, MaxSize = maxSize ?? 1333 };
        return new DetectionOptions
        {
            MinSize = minSize ?? TinySize,
            MaxSize = maxSize ?? TinySize,
            RpnPreNmsTopNTrain = 600,
            RpnPostNmsTopNTrain = 300,
            RpnPreNmsTopNTest = 500,
            RpnPostNmsTopNTest = 300,
            BoxBatchSizePerImage = 64,
        };
    }

    /// <summary>Builds the named model with fresh weights.</summary>
    /// <param name="name">One of <see cref="Names"/>.</param>
    /// <param name="numClasses">Classes, background included.</param>
    /// <param name="options">Its options.</param>
    /// <returns>The model.</returns>
    /// <exception cref="ArgumentException">The name is unknown.</exception>
    public static Detector Create(string name, int numClasses, DetectionOptions options)
    {
        if (name != TinyModel)
        {
            if (!DetectionModels.Names.Contains(name))
                throw new ArgumentException($"--model: unknown model '{name}'; expected one of {string.Join(", ", Names)}.");
            return DetectionModels.Create(name, numClasses, options);
        }
        var backbone = new DetectionBackbone(new[] { 1, 1, 1, 1 }, trainableLayers: 5, new[] { 1, 2, 3, 4 }, new LastLevelMaxPool(), BodyNorm.BatchNorm, outChannels: 64);
        return DetectionModels.CreateFasterRcnn(backbone, numClasses, options, new[] { 16.0, 32.0, 64.0, 128.0, 256.0 }, representationSize: 256);
    }
}
