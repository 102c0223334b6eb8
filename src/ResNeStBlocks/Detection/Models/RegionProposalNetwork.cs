using System;
using System.Collections.Generic;
using System.Linq;
using ResNeStBlocks.Dense;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNeStBlocks.Detection.Models;

/// <summary>
/// The region proposal network of Faster R-CNN (torchvision's <c>RegionProposalNetwork</c>): the head scores and
/// regresses every anchor, the best <c>pre_nms_top_n</c> anchors of each level are decoded, clipped, stripped of tiny
/// and low-scoring boxes, suppressed level by level (batched NMS with the level as category) and the best
/// <c>post_nms_top_n</c> kept per image.
/// </summary>
/// <remarks>Keys: <c>head.*</c> (<see cref="RpnHead"/>). The anchor generator and box coder (weights 1, 1, 1, 1) hold no state.</remarks>
public sealed partial class RegionProposalNetwork : nn.Module
{
    private readonly RpnHead head;
    private readonly DetectionOptions options;

    /// <summary>Creates the network.</summary>
    /// <param name="anchorGenerator">The anchors of each level.</param>
    /// <param name="head">The head; its anchors per location must be the generator's.</param>
    /// <param name="options">The proposal settings (top-n, thresholds).</param>
    public RegionProposalNetwork(AnchorGenerator anchorGenerator, RpnHead head, DetectionOptions options) : base(nameof(RegionProposalNetwork))
    {
        Runtime.NativeRuntime.EnsureCpuChecked();
        ArgumentNullException.ThrowIfNull(anchorGenerator);
        ArgumentNullException.ThrowIfNull(head);
        ArgumentNullException.ThrowIfNull(options);
        AnchorGenerator = anchorGenerator;
        this.head = head;
        this.options = options;
        BoxCoder = new BoxCoder((1.0, 1.0, 1.0, 1.0));
        register_module("head", head);
    }

    /// <summary>The anchors of each level.</summary>
    public AnchorGenerator AnchorGenerator { get; }

    /// <summary>The coder of anchor deltas (weights 1, 1, 1, 1).</summary>
    public BoxCoder BoxCoder { get; }

    /// <summary>The head (keys <c>head.*</c>).</summary>
    public RpnHead Head => head;

    /// <summary>Proposals for every image of a padded batch, with the test-time top-n (torchvision's eval mode).</summary>
    /// <param name="batchHeight">The padded batch's height.</param>
    /// <param name="batchWidth">The padded batch's width.</param>
    /// <param name="imageSizes">Each image's size inside the batch.</param>
    /// <param name="features">The pyramid levels, every one of which is read.</param>
    /// <returns>Per image, [P_i, 4] proposals, best first.</returns>
    public Tensor[] Propose(long batchHeight, long batchWidth, IReadOnlyList<(long Height, long Width)> imageSizes, FeatureMaps features)
    {
        ArgumentNullException.ThrowIfNull(imageSizes);
        ArgumentNullException.ThrowIfNull(features);
        using var scope = NewDisposeScope();
        var (proposals, _, _, _) = Run(batchHeight, batchWidth, imageSizes, features, options.RpnPreNmsTopNTest, options.RpnPostNmsTopNTest);
        foreach (var p in proposals)
            p.MoveToOuterDisposeScope();
        return proposals;
    }

    /// <summary>
    /// torchvision's forward up to the losses: the head on every level, the anchors, and the filtered proposals
    /// (detached, as torchvision decodes them from detached deltas). Also returns the objectness [N * A] and deltas
    /// [N * A, 4] (image-major, torchvision's <c>concat_box_prediction_layers</c> order) and the anchors [A, 4] of one
    /// image, which the training losses read. Every tensor belongs to the caller's dispose scope.
    /// </summary>
    private (Tensor[] Proposals, Tensor Objectness, Tensor Deltas, Tensor Anchors) Run(long batchHeight, long batchWidth,
        IReadOnlyList<(long Height, long Width)> imageSizes, FeatureMaps features, int preNmsTopN, int postNmsTopN)
    {
        int images = imageSizes.Count;
        var (objectnessMaps, deltaMaps) = head.call(features);
        var anchors = AnchorGenerator.Generate(features, batchHeight, batchWidth);
        var perLevel = objectnessMaps.Select(o => o.size(1) * o.size(2) * o.size(3)).ToArray();
        var objectness = cat(objectnessMaps.Select(o => HeadOutputs.PermuteAndFlatten(o, 1)).ToList(), 1).reshape(images, -1);
        var deltas = cat(deltaMaps.Select(d => HeadOutputs.PermuteAndFlatten(d, 4)).ToList(), 1).reshape(-1, 4);
        var proposals = BoxCoder.Decode(deltas.detach(), Enumerable.Repeat(anchors, images).ToList()).view(images, -1, 4);

        // The best anchors of each level, as indices into the concatenated levels, with their level numbers.
        var topIndices = new List<Tensor>();
        var topLevels = new List<Tensor>();
        long offset = 0;
        for (int level = 0; level < perLevel.Length; level++)
        {
            long k = Math.Min(preNmsTopN, perLevel[level]);
            var (_, indices) = objectness.narrow(1, offset, perLevel[level]).topk((int)k, dim: 1);
            using var shift = offset.ToScalar();
            topIndices.Add(indices.add(shift, DetectionScalars.OneLong));
            using var levelNumber = ((long)level).ToScalar();
            topLevels.Add(full(new long[] { images, k }, levelNumber, ScalarType.Int64, objectness.device));
            offset += perLevel[level];
        }
        var top = cat(topIndices, 1);
        var levels = cat(topLevels, 1);
        var scores = objectness.detach().gather(1, top).sigmoid();
        var boxes = proposals.gather(1, top.unsqueeze(-1).expand(images, top.size(1), 4));

        using var scoreThreshold = options.RpnScoreThresh.ToScalar();
        var result = new Tensor[images];
        for (int i = 0; i < images; i++)
        {
            var imageBoxes = BoxOps.ClipBoxesToImage(boxes[i], imageSizes[i].Height, imageSizes[i].Width);
            var keep = BoxOps.RemoveSmallBoxes(imageBoxes, MinSize);
            var kept = imageBoxes.index_select(0, keep);
            var keptScores = scores[i].index_select(0, keep);
            var keptLevels = levels[i].index_select(0, keep);
            keep = keptScores.ge(scoreThreshold).nonzero().flatten();
            kept = kept.index_select(0, keep);
            keptScores = keptScores.index_select(0, keep);
            keptLevels = keptLevels.index_select(0, keep);
            keep = BoxOps.BatchedNms(kept, keptScores, keptLevels, options.RpnNmsThresh);
            keep = keep.narrow(0, 0, Math.Min(keep.size(0), postNmsTopN));
            result[i] = kept.index_select(0, keep);
        }
        return (result, objectness.flatten(), deltas, anchors);
    }

    /// <summary>The smallest proposal side kept (torchvision's 1e-3).</summary>
    public const double MinSize = 1e-3;

    /// <summary>Registers nothing: the constructor registered the head under torchvision's key.</summary>
    protected override void RegisterComponents()
    {
    }
}
