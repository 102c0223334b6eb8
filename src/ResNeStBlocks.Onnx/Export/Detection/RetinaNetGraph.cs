using System.Linq;
using ResNeStBlocks.Detection.Models;

namespace ResNeStBlocks.Onnx.Export.Detection;

/// <summary>
/// RetinaNet's eval-mode forward for one image as one ONNX graph (<see cref="OneStageGraph"/>): the described subnets on
/// every level, each anchor's class scores a sigmoid of its logits, the candidates' deltas decoded against their anchors
/// (<see cref="RetinaNet.BoxCoder"/>). It follows <see cref="RetinaNet"/>'s own code step by step.
/// </summary>
internal static class RetinaNetGraph
{
    public static (string Boxes, string Scores, string Labels) Build(RetinaNet model, OnnxForwardGraph graph, string input) =>
        OneStageGraph.Build(model, model.Backbone, graph, input, new(model.ScoreThresh, model.NmsThresh, model.DetectionsPerImg), (ops, levels, paddedSize) =>
        {
            var (logits, deltas) = graph.Within(model.Head, () => model.Head.DescribeLevels(graph, levels.Select(l => l.Value).ToArray()));
            var anchors = OneStageGraph.Anchors(ops, model.AnchorGenerator, levels, paddedSize);
            ops.Path = "postprocess";
            var coder = model.BoxCoder;
            return levels.Select((_, i) =>
            {
                string levelDeltas = ops.Reshape(deltas[i].Id, -1, 4);
                return new OneStageGraph.Level(ops.Node("Sigmoid", ops.Reshape(logits[i].Id, -1)), locations => ops.Reshape(
                    ops.Decode(ops.Unsqueeze(ops.Gather(levelDeltas, locations), 1), ops.Gather(anchors[i], locations), coder.Weights, coder.BboxXformClip), -1, 4));
            }).ToArray();
        });
}
