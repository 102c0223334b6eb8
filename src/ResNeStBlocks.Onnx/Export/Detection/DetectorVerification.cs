using System;
using System.Linq;
using ResNeStBlocks.Description;
using ResNeStBlocks.Detection.Models;
using static TorchSharp.torch;

namespace ResNeStBlocks.Onnx.Export.Detection;

/// <summary>
/// The check before a detector's file is written: its described parts (backbone and pyramid, proposal head, box head,
/// predictor) against their forwards on seeded probes, as <see cref="ExportVerification"/> checks any model. The
/// post-processing nodes are not run here (the package does not depend on a runtime); the tests run the whole file in
/// ONNX Runtime against <see cref="Detector.Detect"/>.
/// </summary>
internal static class DetectorVerification
{
    public static void Verify(FasterRcnn model)
    {
        var reference = model.parameters().First();
        var dtype = reference.dtype;
        var device = reference.device;
        using var scope = NewDisposeScope();
        using var generator = new Generator(ExportVerification.ProbeSeed);
        double tolerance = dtype is ScalarType.Float16 or ScalarType.BFloat16 ? 1e-2 : DescriptionCheck.DefaultTolerance;
        long channels = ((DetectionBackbone)model.Backbone).Fpn.OutChannels;

        DescriptionCheck.VerifyOutputs(model.Backbone, randn(new long[] { 1, 3, 64, 96 }, generator: generator).to(dtype, device), tolerance, null, null);
        var head = model.Rpn.Head;
        DescriptionCheck.VerifyOutputs(head, randn(new long[] { 1, channels, 8, 12 }, generator: generator).to(dtype, device), tolerance,
            (graph, input) =>
            {
                var (objectness, deltas) = head.DescribeLevels(graph, new[] { input });
                return new[] { new NamedValue("objectness", objectness[0]), new NamedValue("deltas", deltas[0]) };
            },
            input =>
            {
                var (objectness, deltas) = head.call(new[] { input });
                return new[] { ("objectness", objectness[0]), ("deltas", deltas[0]) };
            });
        var pool = model.RoiHeads.BoxRoiPool;
        var pooled = randn(new long[] { 3, channels, pool.OutputHeight, pool.OutputWidth }, generator: generator).to(dtype, device);
        DescriptionCheck.VerifyOutputs(model.RoiHeads.BoxHead, pooled, tolerance, null, null);
        var predictor = model.RoiHeads.BoxPredictor;
        Tensor features;
        using (no_grad())
            features = model.RoiHeads.BoxHead.call(pooled);
        DescriptionCheck.VerifyOutputs(predictor, features, tolerance,
            (graph, input) =>
            {
                var (scores, deltas) = predictor.DescribeOutputs(graph, input);
                return new[] { new NamedValue("scores", scores), new NamedValue("deltas", deltas) };
            },
            input =>
            {
                var (scores, deltas) = predictor.call(input);
                return new[] { ("scores", scores), ("deltas", deltas) };
            });
    }

    /// <summary>RetinaNet's backbone and pyramid, and both subnets on one probe level.</summary>
    public static void Verify(RetinaNet model)
    {
        using var scope = NewDisposeScope();
        var (probe, tolerance) = Probes(model, out var generator);
        using (generator)
        {
            DescriptionCheck.VerifyOutputs(model.Backbone, probe(new long[] { 1, 3, 64, 96 }), tolerance, null, null);
            var head = model.Head;
            DescriptionCheck.VerifyOutputs(head, probe(new long[] { 1, model.Backbone.Fpn.OutChannels, 8, 12 }), tolerance,
                (graph, input) =>
                {
                    var (logits, deltas) = head.DescribeLevels(graph, new[] { input });
                    return new[] { new NamedValue("logits", logits[0]), new NamedValue("deltas", deltas[0]) };
                },
                input => new[] { ("logits", head.ClassificationHead.call(new[] { input })[0]), ("deltas", head.RegressionHead.call(new[] { input })[0]) });
        }
    }

    /// <summary>FCOS's backbone and pyramid, and its head on one probe level.</summary>
    public static void Verify(Fcos model)
    {
        using var scope = NewDisposeScope();
        var (probe, tolerance) = Probes(model, out var generator);
        using (generator)
        {
            DescriptionCheck.VerifyOutputs(model.Backbone, probe(new long[] { 1, 3, 64, 96 }), tolerance, null, null);
            var head = model.Head;
            DescriptionCheck.VerifyOutputs(head, probe(new long[] { 1, model.Backbone.Fpn.OutChannels, 8, 12 }), tolerance,
                (graph, input) =>
                {
                    var (logits, regression, centerness) = head.DescribeLevels(graph, new[] { input });
                    return new[] { new NamedValue("logits", logits[0]), new NamedValue("regression", regression[0]), new NamedValue("centerness", centerness[0]) };
                },
                input =>
                {
                    var (logits, regression, centerness) = head.call(new[] { input });
                    return new[] { ("logits", logits), ("regression", regression), ("centerness", centerness) };
                });
        }
    }

    /// <summary>Seeded probes in the model's type and device, and the tolerance for that type.</summary>
    private static (Func<long[], Tensor> Probe, double Tolerance) Probes(Detector model, out Generator generator)
    {
        var reference = model.parameters().First();
        var dtype = reference.dtype;
        var device = reference.device;
        var seeded = new Generator(ExportVerification.ProbeSeed);
        generator = seeded;
        double tolerance = dtype is ScalarType.Float16 or ScalarType.BFloat16 ? 1e-2 : DescriptionCheck.DefaultTolerance;
        return (shape => randn(shape, generator: seeded).to(dtype, device), tolerance);
    }
}
