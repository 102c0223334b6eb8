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
/// keeps, per image, the boxes above the score threshold after per-class NMS, at most the detection limit.
/// </summary>
/// <remarks>Keys: <c>box_head.*</c> (<see cref="TwoMlpHead"/>), <c>box_predictor.*</c> (<see cref="FastRcnnPredictor"/>).</remarks>
public sealed partial class RoiHeads : nn.Module
{
    private readonly TwoMlpHead boxHead;
    private readonly FastRcnnPredictor boxPredictor;
    private readonly DetectionOptions options;

    /// <summary>Creates the heads.</summary>
    /// <param name="boxRoiPool">The pooler of proposals.</param>
    /// <param name="boxHead">The box head.</param>
    /// <param name="boxPredictor">The predictor.</param>
    /// <param name="options">Thresholds, limits and the box coder's weights.</param>
    public RoiHeads(MultiScaleRoIAlign boxRoiPool, TwoMlpHead boxHead, FastRcnnPredictor boxPredictor, DetectionOptions options) : base(nameof(RoiHeads))
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
    }

    /// <summary>The pooler of proposals.</summary>
    public MultiScaleRoIAlign BoxRoiPool { get; }

    /// <summary>The coder of the predictor's deltas.</summary>
    public BoxCoder BoxCoder { get; }

    /// <summary>The box head (keys <c>box_head.*</c>).</summary>
    public TwoMlpHead BoxHead => boxHead;

    /// <summary>The predictor (keys <c>box_predictor.*</c>).</summary>
    public FastRcnnPredictor BoxPredictor => boxPredictor;

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

    /// <summary>The smallest detection side kept (torchvision's 1e-2).</summary>
    public const double MinBoxSize = 1e-2;

    /// <summary>Registers nothing: the constructor registered every child under torchvision's key.</summary>
    protected override void RegisterComponents()
    {
    }
}
