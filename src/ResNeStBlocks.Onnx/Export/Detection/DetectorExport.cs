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
/// pixels), <c>scores</c> [N] and <c>labels</c> [N] (int64) out, the model's transform and post-processing in the graph.
/// </summary>
internal static class DetectorExport
{
    public const string BoxesOutput = "boxes";
    public const string ScoresOutput = "scores";
    public const string LabelsOutput = "labels";

    /// <summary>The detectors that export, by <see cref="DetectionModels"/> name and type.</summary>
    public static IReadOnlyList<(string Name, Type Type)> Supported { get; } = new[]
    {
        ("fasterrcnn_resnet50_fpn", typeof(FasterRcnn)),
        // The one-stage detectors.
        ("retinanet_resnet50_fpn", typeof(RetinaNet)), ("retinanet_resnet50_fpn_v2", typeof(RetinaNet)), ("fcos_resnet50_fpn", typeof(Fcos)),
    };

    public static ModelProto Build(Detector detector, OnnxExportOptions options)
    {
        var (describe, verify) = Family(detector);
        CheckOptions(options);
        DetectorClassNames.Check(detector, options);
        var builder = new OnnxGraphBuilder(options.WeightType);
        builder.Reserve(OnnxExporter.InputName);
        foreach (var name in new[] { BoxesOutput, ScoresOutput, LabelsOutput })
            builder.Reserve(name);
        var forward = new OnnxForwardGraph(builder, options.FoldBatchNorm);
        var (boxes, scores, labels) = describe(forward, OnnxExporter.InputName);
        builder.Output(boxes, BoxesOutput);
        builder.Output(scores, ScoresOutput);
        builder.Output(labels, LabelsOutput);

        var graph = builder.Graph;
        graph.Input.Add(Value(OnnxExporter.InputName, TensorProto.Types.DataType.Float, Fixed(1), Fixed(3), Symbol("height"), Symbol("width")));
        graph.Output.Add(Value(BoxesOutput, TensorProto.Types.DataType.Float, Symbol("detections"), Fixed(4)));
        graph.Output.Add(Value(ScoresOutput, TensorProto.Types.DataType.Float, Symbol("detections")));
        graph.Output.Add(Value(LabelsOutput, TensorProto.Types.DataType.Int64, Symbol("detections")));
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

    /// <summary>The graph builder and the check before writing of the detector's family; refuses a family without a graph.</summary>
    private static (Func<OnnxForwardGraph, string, (string Boxes, string Scores, string Labels)> Describe, Action Verify) Family(Detector detector) => detector switch
    {
        FasterRcnn { Backbone: DetectionBackbone } model => ((graph, input) => FasterRcnnGraph.Build(model, graph, input), () => DetectorVerification.Verify(model)),
        FasterRcnn model => throw Unsupported($"{nameof(FasterRcnn)} on a {model.Backbone.GetType().Name}"),
        // The one-stage detectors.
        RetinaNet model => ((graph, input) => RetinaNetGraph.Build(model, graph, input), () => DetectorVerification.Verify(model)),
        Fcos model => ((graph, input) => FcosGraph.Build(model, graph, input), () => DetectorVerification.Verify(model)),
        _ => throw Unsupported(detector.GetType().Name),
    };

    /// <summary>The refusal of a detector family whose graph is not written yet, naming the families that export.</summary>
    public static NotSupportedException Unsupported(string typeName) =>
        new($"ONNX export does not support {typeName} yet; the detectors it exports are " +
            $"{string.Join(", ", Supported.Select(s => $"{s.Name} ({s.Type.Name})"))}. " +
            "Mask R-CNN export is planned (issue 24).");

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
