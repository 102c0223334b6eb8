using System;
using System.Collections.Generic;
using System.Linq;
using ResNeStBlocks.Dense;
using ResNeStBlocks.Description;
using ResNeStBlocks.Detection.Models;
using ResNeStBlocks.Onnx.Graph;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNeStBlocks.Onnx.Export.Detection;

/// <summary>
/// What the graphs of the one-stage detectors (RetinaNet, FCOS) share, following torchvision's
/// <c>postprocess_detections</c> for one image: the transform, the described backbone and pyramid, the family's head, then
/// per level the scores above the threshold (the best <see cref="DetectionOptions.TopkCandidates"/>, their boxes decoded
/// and clipped), batched NMS over all levels, the best detections, and the boxes mapped back to the input image's pixels.
/// </summary>
internal static class OneStageGraph
{
    /// <summary>One level of the head's outputs.</summary>
    /// <param name="Scores">The scores [L * classes], location by location, class by class.</param>
    /// <param name="Decode">The level's boxes [k, 4] (resized image's pixels) at int64 locations [k].</param>
    public sealed record Level(string Scores, Func<string, string> Decode);

    /// <summary>The post-processing settings the family's model resolved from its options.</summary>
    public readonly record struct Settings(double ScoreThresh, double NmsThresh, int DetectionsPerImg);

    /// <summary>Builds the graph; <paramref name="head"/> describes the family's head on the pyramid's levels.</summary>
    /// <param name="model">The detector (the root of the description).</param>
    /// <param name="backbone">Its backbone and pyramid.</param>
    /// <param name="graph">The graph being built.</param>
    /// <param name="input">The image [1, 3, H, W].</param>
    /// <param name="settings">The score threshold, NMS threshold and detections per image.</param>
    /// <param name="head">Given the operations, the pyramid's levels and the padded image's (height, width): every level's outputs.</param>
    public static (string Boxes, string Scores, string Labels) Build(Detector model, nn.Module<Tensor, FeatureMaps> backbone, OnnxForwardGraph graph, string input,
        Settings settings, Func<DetectionOps, IReadOnlyList<NamedValue>, string, IReadOnlyList<Level>> head)
    {
        var ops = new DetectionOps(graph.Builder);
        var options = model.Options;
        ops.Path = "transform";
        var (batch, resized, original) = ops.Transform(input, options.ImageMean, options.ImageStd, options.MinSize, options.MaxSize);
        string paddedSize = ops.Dims(batch, 2, 4);
        string limits = ops.BoxLimits(resized);
        (string Boxes, string Scores, string Labels) result = default;
        graph.DescribeComposite(model, () =>
        {
            var levels = graph.Within(backbone, () => ((IDescribedOutputs)backbone).DescribeOutputs(graph, graph.Wrap(batch)));
            var outputs = head(ops, levels, paddedSize);
            ops.Path = "postprocess";
            var boxes = new List<string>();
            var scores = new List<string>();
            var labels = new List<string>();
            foreach (var level in outputs)
            {
                var (top, locations, classes) = ops.LevelCandidates(level.Scores, model.NumClasses, settings.ScoreThresh, options.TopkCandidates);
                boxes.Add(ops.Clip(level.Decode(locations), limits));
                scores.Add(top);
                labels.Add(classes);
            }
            string allBoxes = ops.Node("Concat", boxes.ToArray(), Attr.Int("axis", 0));
            string allScores = ops.Node("Concat", scores.ToArray(), Attr.Int("axis", 0));
            string allLabels = ops.Node("Concat", labels.ToArray(), Attr.Int("axis", 0));
            string kept = ops.First(ops.BatchedNms(allBoxes, allScores, allLabels, settings.NmsThresh), settings.DetectionsPerImg);
            ops.Path = "transform";
            result = (ops.ResizeBoxes(ops.Gather(allBoxes, kept), resized, original), ops.Gather(allScores, kept), ops.Gather(allLabels, kept));
            return new[]
            {
                new NamedValue(DetectorExport.BoxesOutput, graph.Wrap(result.Boxes)),
                new NamedValue(DetectorExport.ScoresOutput, graph.Wrap(result.Scores)),
                new NamedValue(DetectorExport.LabelsOutput, graph.Wrap(result.Labels)),
            };
        });
        return result;
    }

    /// <summary>Every level's anchors [L, 4] (<see cref="ResNeStBlocks.Detection.AnchorGenerator.Generate"/>), in the pyramid's order.</summary>
    public static string[] Anchors(DetectionOps ops, ResNeStBlocks.Detection.AnchorGenerator generator, IReadOnlyList<NamedValue> levels, string paddedSize)
    {
        ops.Path = "anchor_generator";
        return levels.Select((level, i) =>
        {
            using var cells = generator.CellAnchors(i);
            return ops.Anchors(level.Value.Id, paddedSize, cells.data<float>().ToArray());
        }).ToArray();
    }
}
