using System;
using System.Collections.Generic;
using System.Linq;
using ResNeStBlocks.Dense;
using ResNeStBlocks.Description;
using ResNeStBlocks.Detection.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNeStBlocks.Onnx.Export.Detection;

/// <summary>
/// The check before a detector's file is written: its described parts (backbone and pyramid, proposal head, box head,
/// predictor, and Mask R-CNN's mask head and predictor) against their forwards on seeded probes, as <see cref="ExportVerification"/> checks any model. The
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
        long channels = DetectorPyramid.Channels(model.Backbone);

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
        if (model.RoiHeads is { MaskRoiPool: { } maskPool, MaskHead: { } maskHead, MaskPredictor: { } maskPredictor })
        {
            var maskPooled = randn(new long[] { 3, channels, maskPool.OutputHeight, maskPool.OutputWidth }, generator: generator).to(dtype, device);
            DescriptionCheck.VerifyOutputs(maskHead, maskPooled, tolerance, null, null);
            Tensor maskFeatures;
            using (no_grad())
                maskFeatures = maskHead.call(maskPooled);
            DescriptionCheck.VerifyOutputs(maskPredictor, maskFeatures, tolerance, null, null);
        }
    }

    /// <summary>RetinaNet's backbone and pyramid, and both subnets on one probe level.</summary>
    public static void Verify(RetinaNet model)
    {
        var head = model.Head;
        VerifyOneStage(model, model.Backbone, head,
            (graph, input) =>
            {
                var (logits, deltas) = head.DescribeLevels(graph, new[] { input });
                return new[] { new NamedValue("logits", logits[0]), new NamedValue("deltas", deltas[0]) };
            },
            input => new[] { ("logits", head.ClassificationHead.call(new[] { input })[0]), ("deltas", head.RegressionHead.call(new[] { input })[0]) });
    }

    /// <summary>FCOS's backbone and pyramid, and its head on one probe level.</summary>
    public static void Verify(Fcos model)
    {
        var head = model.Head;
        VerifyOneStage(model, model.Backbone, head,
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

    /// <summary>
    /// A one-stage detector's backbone and pyramid on a seeded image probe, and its head (<paramref name="describe"/>
    /// against <paramref name="forward"/>) on a seeded probe level, in the model's type and device.
    /// </summary>
    private static void VerifyOneStage(Detector model, nn.Module<Tensor, FeatureMaps> backbone, TorchSharp.torch.nn.Module head,
        Func<ForwardGraph, GraphValue, IReadOnlyList<NamedValue>> describe, Func<Tensor, IReadOnlyList<(string Name, Tensor Value)>> forward)
    {
        var reference = model.parameters().First();
        var dtype = reference.dtype;
        var device = reference.device;
        using var scope = NewDisposeScope();
        using var generator = new Generator(ExportVerification.ProbeSeed);
        double tolerance = dtype is ScalarType.Float16 or ScalarType.BFloat16 ? 1e-2 : DescriptionCheck.DefaultTolerance;
        DescriptionCheck.VerifyOutputs(backbone, randn(new long[] { 1, 3, 64, 96 }, generator: generator).to(dtype, device), tolerance, null, null);
        var level = randn(new long[] { 1, DetectorPyramid.Channels(backbone), 8, 12 }, generator: generator).to(dtype, device);
        DescriptionCheck.VerifyOutputs(head, level, tolerance, describe, forward);
    }
}
