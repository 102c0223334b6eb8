using System;
using System.Collections.Generic;
using System.Linq;
using ResNeStBlocks.Dense;

namespace ResNeStBlocks.Detection.Models;

public static partial class DetectionModels
{
    /// <summary>
    /// A Faster R-CNN (torchvision's <c>FasterRCNN</c> with its default RPN and box heads) on a backbone of the caller's
    /// choice, such as a small <see cref="DetectionBackbone"/> trained from scratch on small images: one anchor size per
    /// pyramid level with ratios 0.5, 1 and 2, an RPN head and a two-layer box head (<see cref="TwoMlpHead"/>) as wide as
    /// the pyramid, boxes pooled 7 x 7 from the pyramid's levels below <c>pool</c>. With the defaults and a ResNet-50
    /// <see cref="DetectionBackbone"/> it is <c>fasterrcnn_resnet50_fpn</c>.
    /// </summary>
    /// <param name="backbone">The body and pyramid; its pyramid must end with <see cref="LastLevelMaxPool"/> (Faster R-CNN's extra level).</param>
    /// <param name="numClasses">Classes, background included.</param>
    /// <param name="options">torchvision's keyword arguments; null for its defaults.</param>
    /// <param name="anchorSizes">One anchor size per pyramid level (returned stages and <c>pool</c>), in input pixels;
    /// null for torchvision's 32, 64, 128, 256, 512 (which needs 5 levels).</param>
    /// <param name="representationSize">Width of the box head's two fully connected layers (torchvision: 1024).</param>
    /// <returns>The model, with torchvision's initialisation, on the CPU, in float32.</returns>
    /// <exception cref="ArgumentException">The pyramid does not end with <see cref="LastLevelMaxPool"/>, the anchor sizes
    /// do not give one per level, or a count or setting is invalid.</exception>
    public static FasterRcnn CreateFasterRcnn(DetectionBackbone backbone, int numClasses, DetectionOptions? options = null,
        IReadOnlyList<double>? anchorSizes = null, int representationSize = 1024)
    {
        ArgumentNullException.ThrowIfNull(backbone);
        if (numClasses < 2)
            throw new ArgumentOutOfRangeException(nameof(numClasses), numClasses, "numClasses counts the background too, so it must be at least 2.");
        Guard.Positive(representationSize, nameof(representationSize));
        options ??= new DetectionOptions();
        Validate(options);
        if (backbone.Fpn.ExtraBlocks is not LastLevelMaxPool)
            throw new ArgumentException(
                $"A Faster R-CNN's pyramid ends with LastLevelMaxPool (its 'pool' level), got {backbone.Fpn.ExtraBlocks?.GetType().Name ?? "no extra block"}; build the DetectionBackbone with new LastLevelMaxPool().",
                nameof(backbone));
        int levels = backbone.ReturnedStages.Count + 1;
        anchorSizes ??= new[] { 32.0, 64.0, 128.0, 256.0, 512.0 };
        if (anchorSizes.Count != levels || anchorSizes.Any(s => !(s > 0) || double.IsInfinity(s)))
            throw new ArgumentException(
                $"anchorSizes must hold one positive size per pyramid level ({levels}: the {backbone.ReturnedStages.Count} returned stages and 'pool'), got [{string.Join(", ", anchorSizes)}].",
                nameof(anchorSizes));
        var anchors = new AnchorGenerator(
            anchorSizes.Select(s => (IReadOnlyList<double>)new[] { s }).ToArray(),
            Enumerable.Repeat((IReadOnlyList<double>)new[] { 0.5, 1.0, 2.0 }, levels).ToArray());
        int channels = backbone.Fpn.OutChannels;
        var rpn = new RegionProposalNetwork(anchors, new RpnHead(channels, anchors.NumAnchorsPerLocation[0]), options);
        var pool = new MultiScaleRoIAlign(FeatureMaps.NumberedNames(backbone.ReturnedStages.Count), 7, 7, 2);
        var heads = new RoiHeads(pool, new TwoMlpHead(channels * 7 * 7, representationSize), new FastRcnnPredictor(representationSize, numClasses), options);
        return new FasterRcnn(backbone, rpn, heads, options);
    }
}
