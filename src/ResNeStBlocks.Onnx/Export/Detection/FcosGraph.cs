using System.Linq;
using ResNeStBlocks.Detection.Models;

namespace ResNeStBlocks.Onnx.Export.Detection;

/// <summary>
/// FCOS's eval-mode forward for one image as one ONNX graph (<see cref="OneStageGraph"/>): the described head on every
/// level, each location's class scores <c>sqrt(sigmoid(class) * sigmoid(centre-ness))</c>, the candidates' side distances
/// decoded from their anchors' centres (the linear coder, normalised by the anchor's size). It follows
/// <see cref="Fcos"/>'s own code step by step.
/// </summary>
internal static class FcosGraph
{
    public static (string Boxes, string Scores, string Labels) Build(Fcos model, OnnxForwardGraph graph, string input) =>
        OneStageGraph.Build(model, model.Backbone, graph, input, new(model.ScoreThresh, model.NmsThresh, model.DetectionsPerImg), (ops, levels, paddedSize) =>
        {
            var (logits, regression, centerness) = graph.Within(model.Head, () => model.Head.DescribeLevels(graph, levels.Select(l => l.Value).ToArray()));
            var anchors = OneStageGraph.Anchors(ops, model.AnchorGenerator, levels, paddedSize);
            ops.Path = "postprocess";
            bool normalizeBySize = model.BoxCoder.NormalizeBySize;
            return levels.Select((_, i) =>
            {
                string scores = ops.Node("Sqrt", ops.Node("Mul", ops.Node("Sigmoid", logits[i].Id), ops.Node("Sigmoid", centerness[i].Id)));
                string distances = ops.Reshape(regression[i].Id, -1, 4);
                return new OneStageGraph.Level(ops.Reshape(scores, -1),
                    locations => ops.DecodeLinear(ops.Gather(distances, locations), ops.Gather(anchors[i], locations), normalizeBySize));
            }).ToArray();
        });
}
