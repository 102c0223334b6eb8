using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using ResNeStBlocks.Detection.Models;
using ResNeStBlocks.Onnx.Graph;
using ResNeStBlocks.Onnx.Proto;

namespace ResNeStBlocks.Onnx.Export.Detection;

/// <summary>
/// The export of a detector: one image [1, 3, H, W] of any size with values in [0, 1] in, <c>boxes</c> [N, 4] (input
/// pixels), <c>scores</c> [N] and <c>labels</c> [N] (int64) out, and for Mask R-CNN <c>masks</c> [N, 1, H, W] (probabilities
/// pasted at the input's size), the model's transform and post-processing in the graph.
/// </summary>
internal static class DetectorExport
{
    public const string BoxesOutput = "boxes";
    public const string ScoresOutput = "scores";
    public const string LabelsOutput = "labels";
    public const string MasksOutput = "masks";

    /// <summary>The detectors that export, by <see cref="DetectionModels"/> name and type.</summary>
    public static IReadOnlyList<(string Name, Type Type)> Supported { get; } = new[]
    {
        ("fasterrcnn_resnet50_fpn", typeof(FasterRcnn)), ("fasterrcnn_resnet50_fpn_v2", typeof(FasterRcnn)),
        ("fasterrcnn_resnest50d_fpn", typeof(FasterRcnn)), ("fasterrcnn_resnest101e_fpn", typeof(FasterRcnn)),
        ("maskrcnn_resnet50_fpn", typeof(MaskRcnn)), ("maskrcnn_resnet50_fpn_v2", typeof(MaskRcnn)),
        ("maskrcnn_resnest50d_fpn", typeof(MaskRcnn)), ("maskrcnn_resnest101e_fpn", typeof(MaskRcnn)),
        ("retinanet_resnet50_fpn", typeof(RetinaNet)), ("retinanet_resnet50_fpn_v2", typeof(RetinaNet)),
        ("retinanet_resnest50d_fpn", typeof(RetinaNet)), ("retinanet_resnest101e_fpn", typeof(RetinaNet)),
        ("fcos_resnet50_fpn", typeof(Fcos)), ("fcos_resnest50d_fpn", typeof(Fcos)), ("fcos_resnest101e_fpn", typeof(Fcos)),
    };

    public static ModelProto Build(Detector detector, OnnxExportOptions options)
    {
        var (describe, verify) = Family(detector);
        CheckOptions(options);
        DetectorClassNames.Check(detector, options);
        var builder = new OnnxGraphBuilder(options.WeightType);
        builder.Reserve(OnnxExporter.InputName);
        foreach (var name in new[] { BoxesOutput, ScoresOutput, LabelsOutput, MasksOutput })
            builder.Reserve(name);
        var forward = new OnnxForwardGraph(builder, options.FoldBatchNorm);
        var (boxes, scores, labels, masks) = describe(forward, OnnxExporter.InputName);
        builder.Output(boxes, BoxesOutput);
        builder.Output(scores, ScoresOutput);
        builder.Output(labels, LabelsOutput);
        if (masks is not null)
            builder.Output(masks, MasksOutput);

        var graph = builder.Graph;
        graph.Input.Add(Value(OnnxExporter.InputName, TensorProto.Types.DataType.Float, Fixed(1), Fixed(3), Symbol("height"), Symbol("width")));
        graph.Output.Add(Value(BoxesOutput, TensorProto.Types.DataType.Float, Symbol("detections"), Fixed(4)));
        graph.Output.Add(Value(ScoresOutput, TensorProto.Types.DataType.Float, Symbol("detections")));
        graph.Output.Add(Value(LabelsOutput, TensorProto.Types.DataType.Int64, Symbol("detections")));
        if (masks is not null)
            graph.Output.Add(Value(MasksOutput, TensorProto.Types.DataType.Float, Symbol("detections"), Fixed(1), Symbol("height"), Symbol("width")));
        var proto = new ModelProto
        {
            IrVersion = OnnxExporter.IrVersion,
            ProducerName = OnnxExporter.ProducerName,
            ProducerVersion = OnnxExporter.ProducerVersion,
            Graph = graph,
        };
        proto.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = OnnxExporter.OpsetVersion });
        GraphCheck.Validate(graph);
        foreach (var (key, value) in Metadata(detector).Concat(DetectorClassNames.Metadata(options)))
            proto.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        if (options.VerifyAgainstForward)
            verify();
        return proto;
    }

    /// <summary>The graph builder and the check before writing of the detector's family; refuses a family or backbone without a graph.</summary>
    private static (Func<OnnxForwardGraph, string, (string Boxes, string Scores, string Labels, string? Masks)> Describe, Action Verify) Family(Detector detector) => detector switch
    {
        FasterRcnn model when DetectorPyramid.Exports(model.Backbone) =>
            ((graph, input) => FasterRcnnGraph.Build(model, graph, input), () => DetectorVerification.Verify(model)),
        RetinaNet model when DetectorPyramid.Exports(model.Backbone) =>
            ((graph, input) => WithoutMasks(RetinaNetGraph.Build(model, graph, input)), () => DetectorVerification.Verify(model)),
        Fcos model when DetectorPyramid.Exports(model.Backbone) =>
            ((graph, input) => WithoutMasks(FcosGraph.Build(model, graph, input)), () => DetectorVerification.Verify(model)),
        FasterRcnn model => throw Unsupported($"{model.GetType().Name} on a {model.Backbone.GetType().Name}"),
        RetinaNet model => throw Unsupported($"{nameof(RetinaNet)} on a {model.Backbone.GetType().Name}"),
        Fcos model => throw Unsupported($"{nameof(Fcos)} on a {model.Backbone.GetType().Name}"),
        _ => throw Unsupported(detector.GetType().Name),
    };

    private static (string Boxes, string Scores, string Labels, string? Masks) WithoutMasks((string Boxes, string Scores, string Labels) outputs) =>
        (outputs.Boxes, outputs.Scores, outputs.Labels, null);

    /// <summary>The refusal of a detector whose graph is not written, naming the models that export.</summary>
    public static NotSupportedException Unsupported(string typeName) =>
        new($"ONNX export does not support {typeName}; the detectors it exports are " +
            $"{string.Join(", ", Supported.Select(s => $"{s.Name} ({s.Type.Name})"))}, " +
            $"and these families on another {nameof(DetectionBackbone)} or {nameof(ResNetFpnBackbone)}.");

    /// <summary>The options that have no meaning for a detector's fixed input and outputs are refused rather than ignored.</summary>
    private static void CheckOptions(OnnxExportOptions options)
    {
        if (options.StageOutputs || options.OutputNames is not null || options.InputChannels is { } and not 3)
            throw new ArgumentException(
                "A detector exports with fixed outputs (boxes, scores, labels) from one RGB image; StageOutputs, OutputNames and " +
                "InputChannels do not apply. Leave them unset.", nameof(options));
    }

    private static IEnumerable<(string Key, string Value)> Metadata(Detector detector)
    {
        yield return (OnnxMetadataKeys.Producer, $"{OnnxExporter.ProducerName} {OnnxExporter.ProducerVersion}");
        yield return (OnnxMetadataKeys.Module, detector.GetType().Name);
        yield return (OnnxMetadataKeys.NumClasses, detector.NumClasses.ToString(CultureInfo.InvariantCulture));
        yield return (OnnxMetadataKeys.Mean, string.Join(",", detector.Options.ImageMean.Select(v => v.ToString("R", CultureInfo.InvariantCulture))));
        yield return (OnnxMetadataKeys.Std, string.Join(",", detector.Options.ImageStd.Select(v => v.ToString("R", CultureInfo.InvariantCulture))));
    }

    private static ValueInfoProto Value(string name, TensorProto.Types.DataType type, params TensorShapeProto.Types.Dimension[] dims)
    {
        var shape = new TensorShapeProto();
        shape.Dim.AddRange(dims);
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } },
        };
    }

    private static TensorShapeProto.Types.Dimension Fixed(long size) => new() { DimValue = size };

    private static TensorShapeProto.Types.Dimension Symbol(string name) => new() { DimParam = name };
}
