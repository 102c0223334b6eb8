using System;
using System.Collections.Generic;
using System.Linq;
using ResNeStBlocks.Dense;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNeStBlocks.Detection.Models;

/// <summary>
/// The second stage of Faster R-CNN (torchvision's <c>RoIHeads</c>): each proposal is pooled (7x7, sampling ratio 2,
/// from levels "0".."3"), the box head and predictor give class scores and per-class deltas, and the post-processing
/// keeps, per image, the boxes above the score threshold after per-class NMS, at most the detection limit. With a mask
/// branch (Mask R-CNN), each detection is pooled again (14x14) and the mask head and predictor give its mask.
/// </summary>
/// <remarks>Keys: <c>box_head.*</c> (<see cref="TwoMlpHead"/>, or <see cref="FastRcnnConvFcHead"/> in the v2 models),
/// <c>box_predictor.*</c> (<see cref="FastRcnnPredictor"/>), and with masks <c>mask_head.*</c>
/// (<see cref="MaskRcnnHeads"/>) and <c>mask_predictor.*</c> (<see cref="MaskRcnnPredictor"/>).</remarks>
public sealed partial class RoiHeads : nn.Module
{
    private readonly nn.Module<Tensor, Tensor> boxHead;
    private readonly FastRcnnPredictor boxPredictor;
    private readonly nn.Module<Tensor, Tensor>? maskHead;
    private readonly MaskRcnnPredictor? maskPredictor;
    private readonly DetectionOptions options;

    /// <summary>Creates the heads.</summary>
    /// <param name="boxRoiPool">The pooler of proposals.</param>
    /// <param name="boxHead">The box head: <see cref="TwoMlpHead"/> or <see cref="FastRcnnConvFcHead"/>, its output as wide
    /// as the predictor's input.</param>
    /// <param name="boxPredictor">The predictor.</param>
    /// <param name="options">Thresholds, limits and the box coder's weights.</param>
    /// <param name="maskRoiPool">The pooler of detections for their masks (Mask R-CNN: 14x14, sampling ratio 2), or null
    /// without masks.</param>
    /// <param name="maskHead">The mask head (<see cref="MaskRcnnHeads"/>), or null without masks.</param>
    /// <param name="maskPredictor">The mask predictor, or null without masks.</param>
    /// <exception cref="ArgumentException">Some but not all of the mask parts are given, or the predictors' classes differ.</exception>
    public RoiHeads(MultiScaleRoIAlign boxRoiPool, nn.Module<Tensor, Tensor> boxHead, FastRcnnPredictor boxPredictor, DetectionOptions options,
        MultiScaleRoIAlign? maskRoiPool = null, nn.Module<Tensor, Tensor>? maskHead = null, MaskRcnnPredictor? maskPredictor = null) : base(nameof(RoiHeads))
    {
        Runtime.NativeRuntime.EnsureCpuChecked();
        ArgumentNullException.ThrowIfNull(boxRoiPool);
        ArgumentNullException.ThrowIfNull(boxHead);
        ArgumentNullException.ThrowIfNull(boxPredictor);
        ArgumentNullException.ThrowIfNull(options);
        BoxRoiPool = boxRoiPool;
        this.boxHead = boxHead;
        this.boxPredictor = boxPredictor;
        this.options = options;
        var weights = options.BboxRegWeights ?? new[] { 10.0, 10.0, 5.0, 5.0 };
        if (weights.Count != 4)
            throw new ArgumentException($"BboxRegWeights must hold 4 weights (x, y, width, height), got {weights.Count}.", nameof(options));
        BoxCoder = new BoxCoder((weights[0], weights[1], weights[2], weights[3]));
        register_module("box_head", boxHead);
        register_module("box_predictor", boxPredictor);
        bool anyMask = maskRoiPool is not null || maskHead is not null || maskPredictor is not null;
        if (anyMask && (maskRoiPool is null || maskHead is null || maskPredictor is null))
            throw new ArgumentException(
                "A mask branch needs all three of maskRoiPool, maskHead and maskPredictor (or none of them for boxes alone); got " +
                $"maskRoiPool {(maskRoiPool is null ? "null" : "set")}, maskHead {(maskHead is null ? "null" : "set")}, maskPredictor {(maskPredictor is null ? "null" : "set")}.",
                nameof(maskPredictor));
        if (maskPredictor is not null && maskPredictor.NumClasses != boxPredictor.NumClasses)
            throw new ArgumentException(
                $"The mask predictor has {maskPredictor.NumClasses} classes, the box predictor {boxPredictor.NumClasses}; build both with the same numClasses.", nameof(maskPredictor));
        MaskRoiPool = maskRoiPool;
        this.maskHead = maskHead;
        this.maskPredictor = maskPredictor;
        if (maskHead is not null)
        {
            register_module("mask_head", maskHead);
            register_module("mask_predictor", maskPredictor!);
        }
    }

    /// <summary>The pooler of proposals.</summary>
    public MultiScaleRoIAlign BoxRoiPool { get; }

    /// <summary>The coder of the predictor's deltas.</summary>
    public BoxCoder BoxCoder { get; }

    /// <summary>The box head (keys <c>box_head.*</c>).</summary>
    public nn.Module<Tensor, Tensor> BoxHead => boxHead;

    /// <summary>The predictor (keys <c>box_predictor.*</c>).</summary>
    public FastRcnnPredictor BoxPredictor => boxPredictor;

    /// <summary>Whether the heads predict masks (torchvision's <c>has_mask()</c>).</summary>
    public bool HasMask => maskHead is not null;

    /// <summary>The pooler of detections for their masks, or null without masks.</summary>
    public MultiScaleRoIAlign? MaskRoiPool { get; }

    /// <summary>The mask head (keys <c>mask_head.*</c>), or null without masks.</summary>
    public nn.Module<Tensor, Tensor>? MaskHead => maskHead;

    /// <summary>The mask predictor (keys <c>mask_predictor.*</c>), or null without masks.</summary>
    public MaskRcnnPredictor? MaskPredictor => maskPredictor;

    /// <summary>torchvision's eval-mode forward: detections per image in the batch's pixels.</summary>
    /// <param name="features">The pyramid.</param>
    /// <param name="proposals">Per image, [P_i, 4] proposals.</param>
    /// <param name="imageSizes">Each image's size inside the batch.</param>
    /// <returns>Per image: boxes [N, 4], scores [N] and labels [N] (int64), best first.</returns>
    public (Tensor Boxes, Tensor Scores, Tensor Labels)[] Detect(FeatureMaps features, IReadOnlyList<Tensor> proposals,
        IReadOnlyList<(long Height, long Width)> imageSizes)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(proposals);
        ArgumentNullException.ThrowIfNull(imageSizes);
        using var scope = NewDisposeScope();
        var pooled = BoxRoiPool.Pool(features, proposals, imageSizes);
        var (logits, deltas) = boxPredictor.call(boxHead.call(pooled));
        int classes = boxPredictor.NumClasses;
        var boxes = BoxCoder.Decode(deltas, proposals);
        var scores = nn.functional.softmax(logits, -1);
        using var scoreThreshold = options.BoxScoreThresh.ToScalar();
        using var classCount = ((long)classes).ToScalar();
        var result = new (Tensor, Tensor, Tensor)[proposals.Count];
        long start = 0;
        for (int i = 0; i < proposals.Count; i++)
        {
            long count = proposals[i].size(0);
            var imageBoxes = BoxOps.ClipBoxesToImage(boxes.narrow(0, start, count), imageSizes[i].Height, imageSizes[i].Width);
            var imageScores = scores.narrow(0, start, count);
            var labels = arange(DetectionScalars.ZeroLong, classCount, DetectionScalars.OneLong, ScalarType.Int64, scores.device).view(1, -1).expand_as(imageScores);
            // Background (class 0) is never a detection.
            imageBoxes = imageBoxes.narrow(1, 1, classes - 1).reshape(-1, 4);
            imageScores = imageScores.narrow(1, 1, classes - 1).reshape(-1);
            labels = labels.narrow(1, 1, classes - 1).reshape(-1);
            var keep = imageScores.gt(scoreThreshold).nonzero().flatten();
            imageBoxes = imageBoxes.index_select(0, keep);
            imageScores = imageScores.index_select(0, keep);
            labels = labels.index_select(0, keep);
            keep = BoxOps.RemoveSmallBoxes(imageBoxes, MinBoxSize);
            imageBoxes = imageBoxes.index_select(0, keep);
            imageScores = imageScores.index_select(0, keep);
            labels = labels.index_select(0, keep);
            keep = BoxOps.BatchedNms(imageBoxes, imageScores, labels, options.BoxNmsThresh);
            keep = keep.narrow(0, 0, Math.Min(keep.size(0), options.BoxDetectionsPerImg));
            result[i] = (imageBoxes.index_select(0, keep).MoveToOuterDisposeScope(),
                imageScores.index_select(0, keep).MoveToOuterDisposeScope(),
                labels.index_select(0, keep).MoveToOuterDisposeScope());
            start += count;
        }
        return result;
    }

    /// <summary>
    /// torchvision's eval-mode mask branch (<c>maskrcnn_inference</c>): the detections are pooled, the mask head and
    /// predictor give every class's logits, and each detection keeps the sigmoid of its own label's map.
    /// </summary>
    /// <param name="features">The pyramid.</param>
    /// <param name="boxes">Per image, [N_i, 4] detections in the batch's pixels.</param>
    /// <param name="labels">Per image, [N_i] int64 labels of those detections.</param>
    /// <param name="imageSizes">Each image's size inside the batch.</param>
    /// <returns>Per image, [N_i, 1, 28, 28] mask probabilities inside each box.</returns>
    /// <exception cref="InvalidOperationException">The heads have no mask branch.</exception>
    public Tensor[] DetectMasks(FeatureMaps features, IReadOnlyList<Tensor> boxes, IReadOnlyList<Tensor> labels,
        IReadOnlyList<(long Height, long Width)> imageSizes)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(boxes);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(imageSizes);
        if (maskHead is null || maskPredictor is null || MaskRoiPool is null)
            throw new InvalidOperationException("These heads have no mask branch; build them with maskRoiPool, maskHead and maskPredictor (Mask R-CNN).");
        using var scope = NewDisposeScope();
        var pooled = MaskRoiPool.Pool(features, boxes, imageSizes);
        var logits = maskPredictor.call(maskHead.call(pooled));
        // The label's channel of each detection, as torchvision's mask_prob[index, labels][:, None].
        var index = cat(labels.ToArray(), 0).view(-1, 1, 1, 1).expand(-1, 1, logits.size(2), logits.size(3));
        var probabilities = logits.gather(1, index).sigmoid();
        var result = new Tensor[boxes.Count];
        long start = 0;
        for (int i = 0; i < boxes.Count; i++)
        {
            long count = boxes[i].size(0);
            result[i] = probabilities.narrow(0, start, count).MoveToOuterDisposeScope();
            start += count;
        }
        return result;
    }

    /// <summary>The smallest detection side kept (torchvision's 1e-2).</summary>
    public const double MinBoxSize = 1e-2;

    /// <summary>Registers nothing: the constructor registered every child under torchvision's key.</summary>
    protected override void RegisterComponents()
    {
    }
}
