using System;
using System.Collections.Generic;
using System.Linq;
using ResNeStBlocks.Dense;
using ResNeStBlocks.Zoo;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNeStBlocks.Detection.Models;

/// <summary>
/// Detectors by torchvision's names, with torchvision's state-dict keys and parameter counts. Available now:
/// <c>fasterrcnn_resnet50_fpn</c>, <c>fasterrcnn_resnet50_fpn_v2</c>, <c>maskrcnn_resnet50_fpn</c>, <c>maskrcnn_resnet50_fpn_v2</c>,
/// <c>retinanet_resnet50_fpn</c>, <c>retinanet_resnet50_fpn_v2</c>, <c>fcos_resnet50_fpn</c>, each built as torchvision builds
/// it for its COCO weights (v1: FrozenBatchNorm2d body; v2: BatchNorm2d body; 3 trainable stages); and on the library's
/// ResNeSt bodies (<see cref="ResNetFpnBackbone"/>, keys <c>backbone.body.*</c> as timm's) <c>fasterrcnn_resnest50d_fpn</c>,
/// <c>fasterrcnn_resnest101e_fpn</c>, <c>maskrcnn_resnest50d_fpn</c>, <c>maskrcnn_resnest101e_fpn</c>, <c>retinanet_resnest50d_fpn</c>,
/// <c>retinanet_resnest101e_fpn</c>, <c>fcos_resnest50d_fpn</c> and <c>fcos_resnest101e_fpn</c> (the one-stage ones as
/// <c>retinanet_resnet50_fpn</c> and <c>fcos_resnet50_fpn</c>: stages 2-4, P6 and P7 from P5).
/// </summary>
/// <example><code>using var model = DetectionModels.Create("fasterrcnn_resnet50_fpn");
/// var found = model.Detect(new[] { image });   // image: [3, H, W] in [0, 1]</code></example>
public static partial class DetectionModels
{
    private static readonly Dictionary<string, Func<int, DetectionOptions, Detector>> Builders = new(StringComparer.Ordinal)
    {
        ["fasterrcnn_resnet50_fpn"] = (classes, options) => TwoStage(classes, options, v2: false, masks: false),
        ["fasterrcnn_resnet50_fpn_v2"] = (classes, options) => TwoStage(classes, options, v2: true, masks: false),
        ["maskrcnn_resnet50_fpn"] = (classes, options) => TwoStage(classes, options, v2: false, masks: true),
        ["maskrcnn_resnet50_fpn_v2"] = (classes, options) => TwoStage(classes, options, v2: true, masks: true),
        ["fasterrcnn_resnest50d_fpn"] = (classes, options) => TwoStage(classes, options, v2: false, masks: false, () => new ResNetFpnBackbone(ModelZoo.Config("resnest50d"))),
        ["fasterrcnn_resnest101e_fpn"] = (classes, options) => TwoStage(classes, options, v2: false, masks: false, () => new ResNetFpnBackbone(ModelZoo.Config("resnest101e"))),
        ["maskrcnn_resnest50d_fpn"] = (classes, options) => TwoStage(classes, options, v2: false, masks: true, () => new ResNetFpnBackbone(ModelZoo.Config("resnest50d"))),
        ["maskrcnn_resnest101e_fpn"] = (classes, options) => TwoStage(classes, options, v2: false, masks: true, () => new ResNetFpnBackbone(ModelZoo.Config("resnest101e"))),
        ["fcos_resnet50_fpn"] = (classes, options) => FcosFpn(classes, options),
        ["fcos_resnest50d_fpn"] = (classes, options) => FcosFpn(classes, options, () => OneStageResNeSt("resnest50d")),
        ["fcos_resnest101e_fpn"] = (classes, options) => FcosFpn(classes, options, () => OneStageResNeSt("resnest101e")),
        ["retinanet_resnet50_fpn"] = (classes, options) => RetinaNetFpn(v2: false, classes, options),
        ["retinanet_resnet50_fpn_v2"] = (classes, options) => RetinaNetFpn(v2: true, classes, options),
        ["retinanet_resnest50d_fpn"] = (classes, options) => RetinaNetFpn(v2: false, classes, options, () => OneStageResNeSt("resnest50d")),
        ["retinanet_resnest101e_fpn"] = (classes, options) => RetinaNetFpn(v2: false, classes, options, () => OneStageResNeSt("resnest101e")),
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
    private static FasterRcnn TwoStage(int numClasses, DetectionOptions options, bool v2, bool masks,
        Func<nn.Module<Tensor, FeatureMaps>>? createBackbone = null)
    {
        Validate(options);
        var levels = new[] { "0", "1", "2", "3" };
        var anchors = new AnchorGenerator(
            new[] { 32.0, 64.0, 128.0, 256.0, 512.0 }.Select(s => (IReadOnlyList<double>)new[] { s }).ToArray(),
            Enumerable.Repeat((IReadOnlyList<double>)new[] { 0.5, 1.0, 2.0 }, 5).ToArray());
        // The library's bodies bring their own pyramid; torchvision's ResNet-50 is v1's frozen body or v2's BatchNorm body
        // and pyramid (torchvision's _resnet_fpn_extractor with norm_layer=BatchNorm2d).
        var backbone = createBackbone?.Invoke() ?? new DetectionBackbone(new[] { 3, 4, 6, 3 }, trainableLayers: 3, new[] { 1, 2, 3, 4 },
            new LastLevelMaxPool(), v2 ? BodyNorm.BatchNorm : BodyNorm.FrozenBatchNorm, pyramidBatchNorm: v2);
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

    /// <summary>
    /// The one-stage detectors' pyramid on a zoo ResNeSt body, as torchvision builds <c>retinanet_resnet50_fpn</c> and
    /// <c>fcos_resnet50_fpn</c>'s: stages 2-4, P6 and P7 from P5, 3 trainable stages.
    /// </summary>
    private static ResNetFpnBackbone OneStageResNeSt(string zooName) =>
        new(ModelZoo.Config(zooName), trainableLayers: 3, new[] { 2, 3, 4 }, new LastLevelP6P7(256, 256));

    private static Fcos FcosFpn(int numClasses, DetectionOptions options, Func<nn.Module<Tensor, FeatureMaps>>? createBackbone = null)
    {
        Validate(options);
        Guard.Positive(options.TopkCandidates, nameof(options.TopkCandidates));
        if (options.DetectionsPerImg is { } kept)
            Guard.Positive(kept, nameof(options.DetectionsPerImg));
        // One square anchor per location, its side the level's stride, as torchvision's FCOS builds them.
        var anchors = new AnchorGenerator(
            new[] { 8.0, 16.0, 32.0, 64.0, 128.0 }.Select(s => (IReadOnlyList<double>)new[] { s }).ToArray(),
            new[] { (IReadOnlyList<double>)new[] { 1.0 } });
        var backbone = createBackbone?.Invoke()
            ?? new DetectionBackbone(new[] { 3, 4, 6, 3 }, trainableLayers: 3, new[] { 2, 3, 4 }, new LastLevelP6P7(256, 256), BodyNorm.FrozenBatchNorm);
        return new Fcos(backbone, new FcosHead(256, anchors.NumAnchorsPerLocation[0], numClasses), anchors, options);
    }

    /// <summary>
    /// torchvision's <c>retinanet_resnet50_fpn</c> as built for its COCO weights (frozen-norm body, P6 from P5, L1 box
    /// loss) or <c>retinanet_resnet50_fpn_v2</c> (BatchNorm body, P6 from C5, GroupNorm heads, GIoU box loss); both
    /// train the last 3 stages and read stages 2-4.
    /// </summary>
    private static RetinaNet RetinaNetFpn(bool v2, int numClasses, DetectionOptions options, Func<nn.Module<Tensor, FeatureMaps>>? createBackbone = null)
    {
        Validate(options);
        Guard.Positive(options.TopkCandidates, nameof(options.TopkCandidates));
        if (options.DetectionsPerImg is { } limit)
            Guard.Positive(limit, nameof(options.DetectionsPerImg));
        // torchvision's _default_anchorgen: sizes x, int(x * 2^(1/3)), int(x * 2^(2/3)) per level, ratios 0.5, 1, 2.
        var sizes = new[] { 32.0, 64.0, 128.0, 256.0, 512.0 }
            .Select(x => (IReadOnlyList<double>)new[] { x, Math.Floor(x * Math.Pow(2, 1.0 / 3)), Math.Floor(x * Math.Pow(2, 2.0 / 3)) }).ToArray();
        var anchors = new AnchorGenerator(sizes, new[] { (IReadOnlyList<double>)new[] { 0.5, 1.0, 2.0 } });
        var backbone = createBackbone?.Invoke() ?? new DetectionBackbone(new[] { 3, 4, 6, 3 }, trainableLayers: 3, new[] { 2, 3, 4 },
            v2 ? new LastLevelP6P7(2048, 256) : new LastLevelP6P7(256, 256), v2 ? BodyNorm.BatchNorm : BodyNorm.FrozenBatchNorm);
        var head = new RetinaNetHead(256, anchors.NumAnchorsPerLocation[0], numClasses, groupNorm: v2);
        return new RetinaNet(backbone, head, anchors, v2 ? RetinaNetBoxLoss.GeneralizedIou : RetinaNetBoxLoss.L1, options);
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
