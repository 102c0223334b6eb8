using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNeStBlocks.Detection.Models;

/// <summary>
/// Detectors by torchvision's names, with torchvision's state-dict keys and parameter counts. Available now:
/// <c>fasterrcnn_resnet50_fpn</c>, <c>fasterrcnn_resnet50_fpn_v2</c>, <c>maskrcnn_resnet50_fpn</c>,
/// <c>maskrcnn_resnet50_fpn_v2</c>. Each is built as torchvision builds it for its COCO weights (v1: FrozenBatchNorm2d
/// body; v2: BatchNorm2d in body, pyramid and heads; 3 trainable stages).
/// </summary>
/// <example><code>using var model = DetectionModels.Create("fasterrcnn_resnet50_fpn");
/// var found = model.Detect(new[] { image });   // image: [3, H, W] in [0, 1]</code></example>
public static class DetectionModels
{
    private static readonly Dictionary<string, Func<int, DetectionOptions, Detector>> Builders = new(StringComparer.Ordinal)
    {
        ["fasterrcnn_resnet50_fpn"] = (classes, options) => TwoStage(classes, options, v2: false, masks: false),
        ["fasterrcnn_resnet50_fpn_v2"] = (classes, options) => TwoStage(classes, options, v2: true, masks: false),
        ["maskrcnn_resnet50_fpn"] = (classes, options) => TwoStage(classes, options, v2: false, masks: true),
        ["maskrcnn_resnet50_fpn_v2"] = (classes, options) => TwoStage(classes, options, v2: true, masks: true),
    };

    /// <summary>The names <see cref="Create"/> knows.</summary>
    public static IReadOnlyList<string> Names { get; } = Builders.Keys.OrderBy(n => n, StringComparer.Ordinal).ToArray();

    /// <summary>Builds a detector with torchvision's initialisation, on the CPU, in float32.</summary>
    /// <param name="name">The model's torchvision name, such as <c>fasterrcnn_resnet50_fpn</c>.</param>
    /// <param name="numClasses">Classes, background included (COCO: 91).</param>
    /// <param name="options">torchvision's keyword arguments; null for its defaults.</param>
    /// <returns>The model.</returns>
    /// <exception cref="ArgumentException">The name is unknown, or a setting is invalid.</exception>
    public static Detector Create(string name, int numClasses = 91, DetectionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!Builders.TryGetValue(name, out var build))
            throw new ArgumentException($"Unknown detection model '{name}'; known: {string.Join(", ", Names)}.", nameof(name));
        if (numClasses < 2)
            throw new ArgumentOutOfRangeException(nameof(numClasses), numClasses, "numClasses counts the background too, so it must be at least 2.");
        return build(numClasses, options ?? new DetectionOptions());
    }

    /// <summary>
    /// torchvision's <c>fasterrcnn_resnet50_fpn</c> / <c>maskrcnn_resnet50_fpn</c> and their <c>_v2</c>: the v2 ones have
    /// BatchNorm2d in the body and the pyramid, two RPN convolutions, the four-convolution box head and a mask head with
    /// BatchNorm.
    /// </summary>
    private static FasterRcnn TwoStage(int numClasses, DetectionOptions options, bool v2, bool masks)
    {
        Validate(options);
        var levels = new[] { "0", "1", "2", "3" };
        var anchors = new AnchorGenerator(
            new[] { 32.0, 64.0, 128.0, 256.0, 512.0 }.Select(s => (IReadOnlyList<double>)new[] { s }).ToArray(),
            Enumerable.Repeat((IReadOnlyList<double>)new[] { 0.5, 1.0, 2.0 }, 5).ToArray());
        var backbone = new DetectionBackbone(new[] { 3, 4, 6, 3 }, trainableLayers: 3, batchNorm: v2);
        var rpn = new RegionProposalNetwork(anchors, new RpnHead(256, anchors.NumAnchorsPerLocation[0], convDepth: v2 ? 2 : 1), options);
        var pool = new MultiScaleRoIAlign(levels, 7, 7, 2);
        nn.Module<Tensor, Tensor> boxHead = v2
            ? new FastRcnnConvFcHead(256, 7, new[] { 256, 256, 256, 256 }, new[] { 1024 }, batchNorm: true)
            : new TwoMlpHead(256 * 7 * 7, 1024);
        var predictor = new FastRcnnPredictor(1024, numClasses);
        if (!masks)
            return new FasterRcnn(backbone, rpn, new RoiHeads(pool, boxHead, predictor, options), options);
        var heads = new RoiHeads(pool, boxHead, predictor, options, new MultiScaleRoIAlign(levels, 14, 14, 2),
            new MaskRcnnHeads(256, new[] { 256, 256, 256, 256 }, 1, batchNorm: v2), new MaskRcnnPredictor(256, 256, numClasses));
        return new MaskRcnn(backbone, rpn, heads, options);
    }

    private static void Validate(DetectionOptions options)
    {
        Guard.Positive(options.MinSize, nameof(options.MinSize));
        Guard.Positive(options.MaxSize, nameof(options.MaxSize));
        Guard.Positive(options.RpnPreNmsTopNTest, nameof(options.RpnPreNmsTopNTest));
        Guard.Positive(options.RpnPostNmsTopNTest, nameof(options.RpnPostNmsTopNTest));
        Guard.Positive(options.BoxDetectionsPerImg, nameof(options.BoxDetectionsPerImg));
        if (options.ImageMean is null || options.ImageMean.Count != 3 || options.ImageStd is null || options.ImageStd.Count != 3)
            throw new ArgumentException("ImageMean and ImageStd must hold 3 values, one per colour channel.", nameof(options));
    }
}
