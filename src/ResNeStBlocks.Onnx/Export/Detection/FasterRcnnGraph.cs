using System;
using System.Collections.Generic;
using System.Linq;
using ResNeStBlocks.Description;
using ResNeStBlocks.Detection;
using ResNeStBlocks.Detection.Models;
using ResNeStBlocks.Onnx.Graph;
using static TorchSharp.torch;

namespace ResNeStBlocks.Onnx.Export.Detection;

/// <summary>
/// Faster R-CNN's eval-mode forward for one image as one ONNX graph: the transform (<see cref="DetectionOps.Transform"/>),
/// the described backbone and pyramid (torchvision's ResNet or the library's ResNeSt body), the region proposal network
/// (described head, then anchors, top-k per level, decoding, clipping, filters and batched NMS), the box heads on
/// multi-scale RoiAlign, their post-processing, and the boxes mapped back to the input image's pixels; with a mask branch
/// (Mask R-CNN) each detection's mask, pasted into the input image's pixels (<see cref="MaskPasteGraph"/>). It follows
/// <see cref="FasterRcnn"/>'s own code step by step.
/// </summary>
internal static class FasterRcnnGraph
{
    /// <summary>The graph's outputs: boxes [N, 4] in the input image's pixels, scores [N], labels [N], and Mask R-CNN's masks [N, 1, H, W] (otherwise null).</summary>
    public static (string Boxes, string Scores, string Labels, string? Masks) Build(FasterRcnn model, OnnxForwardGraph graph, string input)
    {
        var ops = new DetectionOps(graph.Builder);
        var options = model.Options;
        ops.Path = "transform";
        var (batch, resized, original) = ops.Transform(input, options.ImageMean, options.ImageStd, options.MinSize, options.MaxSize);
        string paddedSize = ops.Dims(batch, 2, 4);
        string limits = ops.BoxLimits(resized);
        (string Boxes, string Scores, string Labels, string? Masks) result = default;
        var backbone = (IDescribedOutputs)model.Backbone;
        graph.DescribeComposite(model, () =>
        {
            var levels = graph.Within(model.Backbone, () => backbone.DescribeOutputs(graph, graph.Wrap(batch)));
            string proposals = graph.Within(model.Rpn, () => Proposals(model.Rpn, options, graph, ops, levels, paddedSize, limits));
            var (boxes, scores, labels, probabilities) = graph.Within(model.RoiHeads, () =>
            {
                var found = Detections(model.RoiHeads, options, graph, ops, levels, DetectorPyramid.Channels(model.Backbone), proposals, resized, limits);
                string? masks = model.RoiHeads.HasMask ? MaskProbabilities(model.RoiHeads, graph, ops, levels, DetectorPyramid.Channels(model.Backbone), found.Boxes, found.Labels, resized) : null;
                return (found.Boxes, found.Scores, found.Labels, masks);
            });
            ops.Path = "transform";
            string originalBoxes = ops.ResizeBoxes(boxes, resized, original);
            // Pasted with the boxes already in the original pixels, as torchvision's postprocess does.
            string? pasted = probabilities is null ? null : MaskPasteGraph.Paste(ops, probabilities, originalBoxes, original, 2 * model.RoiHeads.MaskRoiPool!.OutputHeight);
            result = (originalBoxes, scores, labels, pasted);
            var outputs = new List<NamedValue>
            {
                new(DetectorExport.BoxesOutput, graph.Wrap(result.Boxes)),
                new(DetectorExport.ScoresOutput, graph.Wrap(result.Scores)),
                new(DetectorExport.LabelsOutput, graph.Wrap(result.Labels)),
            };
            if (pasted is not null)
                outputs.Add(new(DetectorExport.MasksOutput, graph.Wrap(pasted)));
            return outputs;
        });
        return result;
    }

    /// <summary>
    /// <see cref="RoiHeads.DetectMasks"/> for one image: the detections (in the resized image's pixels) pooled, the mask
    /// head and predictor, and the sigmoid of each detection's own label's map, [N, 1, M, M].
    /// </summary>
    private static string MaskProbabilities(RoiHeads heads, OnnxForwardGraph graph, DetectionOps ops, IReadOnlyList<NamedValue> levels, int channels,
        string boxes, string labels, string resized)
    {
        ops.Path = "roi_heads";
        var pool = heads.MaskRoiPool!;
        var pooledLevels = levels.Where(l => pool.FeatureNames.Contains(l.Name)).Select(l => l.Value.Id).ToArray();
        if (pool.OutputHeight != pool.OutputWidth)
            throw new NotSupportedException(
                $"ONNX export pools masks into square outputs (Mask R-CNN's 14 x 14); this model pools into {pool.OutputHeight} x {pool.OutputWidth}.");
        string pooled = ops.MultiScaleRoiAlign(pooledLevels, boxes, resized, pool.Mapper(new[] { 1.0 / 4, 1.0 / 32 }),
            channels, pool.OutputHeight, pool.SamplingRatio);
        var features = graph.Call(heads.MaskHead!, graph.Wrap(pooled));
        var logits = graph.Call(heads.MaskPredictor!, features);
        ops.Path = "roi_heads";
        // The label's channel of each detection, as torchvision's mask_prob[index, labels][:, None].
        string index = ops.Node("Expand", ops.Reshape(labels, -1, 1, 1, 1), ops.Node("Concat", new[] { ops.Builder.Int64s(1, 1), ops.Dims(logits.Id, 2, 4) }, Attr.Int("axis", 0)));
        return ops.Node("Sigmoid", ops.Node("GatherElements", new[] { logits.Id, index }, Attr.Int("axis", 1)));
    }

    /// <summary><see cref="RegionProposalNetwork.Propose"/> for one image: [P, 4] proposals, best first.</summary>
    private static string Proposals(RegionProposalNetwork rpn, DetectionOptions options, OnnxForwardGraph graph, DetectionOps ops,
        IReadOnlyList<NamedValue> levels, string paddedSize, string limits)
    {
        var (objectness, deltas) = graph.Within(rpn.Head, () => rpn.Head.DescribeLevels(graph, levels.Select(l => l.Value).ToArray()));
        ops.Path = "rpn";
        var boxes = new List<string>();
        var scores = new List<string>();
        var levelNumbers = new List<string>();
        for (int level = 0; level < levels.Count; level++)
        {
            int anchorsPerCell = rpn.AnchorGenerator.NumAnchorsPerLocation[level];
            using var cells = rpn.AnchorGenerator.CellAnchors(level);
            string anchors = ops.Anchors(levels[level].Value.Id, paddedSize, cells.data<float>().ToArray());
            var (top, indices) = ops.TopK(ops.FlattenObjectness(objectness[level].Id), options.RpnPreNmsTopNTest);
            string codes = ops.Unsqueeze(ops.Gather(ops.FlattenDeltas(deltas[level].Id, anchorsPerCell), indices), 1);
            boxes.Add(ops.Reshape(ops.Decode(codes, ops.Gather(anchors, indices), rpn.BoxCoder.Weights, rpn.BoxCoder.BboxXformClip), -1, 4));
            scores.Add(ops.Node("Sigmoid", top));
            levelNumbers.Add(ops.Filled(indices, level));
        }
        string allBoxes = ops.Clip(ops.Node("Concat", boxes.ToArray(), Attr.Int("axis", 0)), limits);
        string allScores = ops.Node("Concat", scores.ToArray(), Attr.Int("axis", 0));
        string allLevels = ops.Node("Concat", levelNumbers.ToArray(), Attr.Int("axis", 0));
        string keep = ops.Node("And", ops.LargeEnough(allBoxes, RegionProposalNetwork.MinSize),
            ops.Node("GreaterOrEqual", allScores, ops.Builder.Float32Scalar((float)options.RpnScoreThresh)));
        allBoxes = ops.Select(allBoxes, keep);
        allScores = ops.Select(allScores, keep);
        allLevels = ops.Select(allLevels, keep);
        string kept = ops.First(ops.BatchedNms(allBoxes, allScores, allLevels, options.RpnNmsThresh), options.RpnPostNmsTopNTest);
        return ops.Gather(allBoxes, kept);
    }

    /// <summary><see cref="RoiHeads.Detect"/> for one image: boxes [N, 4] in the resized image's pixels, scores [N], labels [N].</summary>
    private static (string Boxes, string Scores, string Labels) Detections(RoiHeads heads, DetectionOptions options, OnnxForwardGraph graph,
        DetectionOps ops, IReadOnlyList<NamedValue> levels, int channels, string proposals, string resized, string limits)
    {
        ops.Path = "roi_heads";
        var pool = heads.BoxRoiPool;
        // torchvision filters the pyramid's levels by name, keeping the pyramid's order.
        var pooledLevels = levels.Where(l => pool.FeatureNames.Contains(l.Name)).Select(l => l.Value.Id).ToArray();
        if (pool.OutputHeight != pool.OutputWidth)
            throw new NotSupportedException(
                $"ONNX export pools boxes into square outputs (Faster R-CNN's 7 x 7); this model pools into {pool.OutputHeight} x {pool.OutputWidth}.");
        // The mapper's range comes from the scales inferred in the graph; these scales only choose its other settings.
        string pooled = ops.MultiScaleRoiAlign(pooledLevels, proposals, resized, pool.Mapper(new[] { 1.0 / 4, 1.0 / 32 }),
            channels, pool.OutputHeight, pool.SamplingRatio);
        var features = graph.Call(heads.BoxHead, graph.Wrap(pooled));
        var (logits, codes) = graph.Within(heads.BoxPredictor, () => heads.BoxPredictor.DescribeOutputs(graph, features));
        ops.Path = "roi_heads";
        int classes = heads.BoxPredictor.NumClasses;
        string boxes = ops.Clip(ops.Decode(ops.Reshape(codes.Id, 0, -1, 4), proposals, heads.BoxCoder.Weights, heads.BoxCoder.BboxXformClip), limits);
        string scores = ops.Node("Softmax", new[] { logits.Id }, Attr.Int("axis", -1));
        // Background (class 0) is never a detection.
        string foreground = ops.Builder.Int64s(1);
        string end = ops.Builder.Int64s(classes);
        string axis = ops.Builder.Int64s(1);
        boxes = ops.Reshape(ops.Node("Slice", boxes, foreground, end, axis), -1, 4);
        string classScores = ops.Node("Slice", scores, foreground, end, axis);
        string labels = ops.Reshape(ops.Node("Expand", ops.Builder.Int64s(Enumerable.Range(1, classes - 1).Select(c => (long)c).ToArray()),
            ops.Node("Shape", classScores)), -1);
        scores = ops.Reshape(classScores, -1);
        string keep = ops.Node("And", ops.Node("Greater", scores, ops.Builder.Float32Scalar((float)options.BoxScoreThresh)),
            ops.LargeEnough(boxes, RoiHeads.MinBoxSize));
        boxes = ops.Select(boxes, keep);
        scores = ops.Select(scores, keep);
        labels = ops.Select(labels, keep);
        string kept = ops.First(ops.BatchedNms(boxes, scores, labels, options.BoxNmsThresh), options.BoxDetectionsPerImg);
        return (ops.Gather(boxes, kept), ops.Gather(scores, kept), ops.Gather(labels, kept));
    }
}
