using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Reflection;
using Google.Protobuf;
using ResNeStBlocks.Backbones;
using ResNeStBlocks.Dense;
using ResNeStBlocks.Description;
using ResNeStBlocks.Detection.Models;
using ResNeStBlocks.Onnx.Export;
using ResNeStBlocks.Onnx.Export.Detection;
using ResNeStBlocks.Onnx.Graph;
using ResNeStBlocks.Onnx.Proto;
using ResNeStBlocks.Zoo;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ResNeStBlocks.Onnx;

/// <summary>
/// Writes a model as an ONNX model that ONNX Runtime runs without TorchSharp: any <see cref="ResNet"/> or zoo model, a
/// single block or layer, or a network of the user's own composed of described modules. The graph is built from the
/// modules' descriptions (<see cref="IDescribedModule"/>, <see cref="ModuleDescriptions"/>) and computes the eval-mode
/// forward: BatchNorm with running statistics (folded into the convolutions by default), no dropout, drop path or DropBlock.
/// </summary>
/// <remarks>
/// <para>Opset <see cref="OpsetVersion"/>, IR version <see cref="IrVersion"/>. One input, <c>input</c> [batch, C, H, W]
/// with a dynamic batch; outputs <c>logits</c> (a ResNet with a classifier, or any network whose output comes from a
/// fully connected layer), <c>features</c> (pooled features of a ResNet without one, or the output of any other
/// single-output module), <c>stage1</c>..<c>stage4</c> (<see cref="OnnxExportOptions.StageOutputs"/>), the named outputs
/// of a module with several (<see cref="IDescribedOutputs"/>), or the names given in
/// <see cref="OnnxExportOptions.OutputNames"/>. The model is only read: its parameters, buffers and modes are unchanged.</para>
/// <para>A detector (<see cref="FasterRcnn"/>; other families are refused naming the supported ones) exports as one graph of
/// its <see cref="Detector.Detect"/> for one image: input <c>input</c> [1, 3, H, W] in [0, 1] of any size, outputs
/// <c>boxes</c> [N, 4] in the input's pixels, <c>scores</c> [N] and <c>labels</c> [N] (int64), the transform and the
/// post-processing (anchors, NMS, RoiAlign, top-k) in the graph.</para>
/// <para>Before anything is written, the exporter checks what it will write: every value the graph uses is defined,
/// every description states all its module uses, and (<see cref="OnnxExportOptions.VerifyAgainstForward"/>, on by
/// default) the descriptions computed with TorchSharp equal the model's forward on a seeded probe input.</para>
/// </remarks>
public static class OnnxExporter
{
    /// <summary>The ONNX operator set the graphs use.</summary>
    public const int OpsetVersion = 17;

    /// <summary>The ONNX IR version of the files (8 is the IR of opset 17).</summary>
    public const int IrVersion = 8;

    /// <summary>The graph input's name.</summary>
    public const string InputName = "input";

    /// <summary>The output of a ResNet with a classifier: [batch, classes].</summary>
    public const string LogitsOutput = "logits";

    /// <summary>The output of a ResNet without a classifier ([batch, features]) or of a block or layer ([batch, C, H', W']).</summary>
    public const string FeaturesOutput = "features";

    /// <summary>The producer name written to every file.</summary>
    public const string ProducerName = "ResNeStBlocks.Onnx";

    /// <summary>Exports <paramref name="model"/> to an ONNX file.</summary>
    /// <param name="model">A ResNet, a block, a layer, a segmentation model, or any network of described modules (every module of
    /// this library, TorchSharp's common layers, and modules given a description with <see cref="ModuleDescriptions.Register{TModule}"/>).</param>
    /// <param name="path">The file to write (replaced if it exists).</param>
    /// <param name="options">Export choices; <see cref="OnnxExportOptions.Default"/> when null.</param>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> or <paramref name="path"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    /// <exception cref="NotSupportedException">The model contains a module the exporter cannot translate, or a description that
    /// leaves out a child, parameter or buffer; the message names its path. No file is written.</exception>
    /// <exception cref="ArgumentException">A description uses a value that its graph never defined; the message names the module.</exception>
    /// <exception cref="DescriptionMismatchException">With <see cref="OnnxExportOptions.VerifyAgainstForward"/> (the default): a
    /// description does not compute what its module's forward computes; the message names the first such module and the
    /// difference. No file is written.</exception>
    /// <remarks>The file is written beside <paramref name="path"/> under a temporary name and renamed once complete, so a
    /// refused or failed export leaves whatever was at <paramref name="path"/> untouched.</remarks>
    public static void Export(torch.nn.Module model, string path, OnnxExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        var proto = Build(model, options);
        string full = Path.GetFullPath(path);
        string temporary = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var file = File.Create(temporary))
                proto.WriteTo(file);
            File.Move(temporary, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary))
                File.Delete(temporary);
        }
    }

    /// <summary>Exports <paramref name="model"/> to a stream (the ONNX protobuf bytes).</summary>
    /// <param name="model">A ResNet, a block, a layer or any network of described modules (see the other overload).</param>
    /// <param name="stream">A writable stream; left open.</param>
    /// <param name="options">Export choices; <see cref="OnnxExportOptions.Default"/> when null.</param>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> or <paramref name="stream"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    /// <exception cref="NotSupportedException">The model contains a module the exporter cannot translate; nothing is written.</exception>
    /// <exception cref="DescriptionMismatchException">A description does not compute what its module's forward computes; nothing is written.</exception>
    public static void Export(torch.nn.Module model, Stream stream, OnnxExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        Build(model, options).WriteTo(stream);
    }

    private static ModelProto Build(torch.nn.Module model, OnnxExportOptions? options)
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= OnnxExportOptions.Default;
        options.Validate();
        if (model is Detector detector)
            return DetectorExport.Build(detector, options);
        if (options.ClassNames is not null)
            throw new ArgumentException(
                $"OnnxExportOptions.ClassNames names a detector's labels; a {model.GetType().Name} exports no labels. Leave it unset.", nameof(options));

        var graph = new OnnxGraphBuilder(options.WeightType);
        graph.Reserve(InputName);
        var forward = new OnnxForwardGraph(graph, options.FoldBatchNorm);
        var describe = ResNetOutputs(model, options);
        var outputs = Named(forward.Outputs(model, InputName, describe), options);
        int channels = options.InputChannels ?? InputChannels.Of(model)
            ?? throw new ArgumentException(
                $"The input channels of a {model.GetType().Name} are unknown (no layer of its description reads the input directly); " +
                "set OnnxExportOptions.InputChannels.", nameof(options));
        if (options.VerifyAgainstForward)
            ExportVerification.Verify(model, channels, options, describe, ResNetForward(model, options));

        var (height, width) = options.SpatialSize;
        graph.Graph.Input.Add(Value(InputName, Dimension("batch"),
            Dimension(channels),
            options.DynamicSpatialSize ? Dimension("height") : Dimension(height),
            options.DynamicSpatialSize ? Dimension("width") : Dimension(width)));
        foreach (var (name, value) in outputs)
        {
            graph.Reserve(name);
            graph.Output(value.Id, name);
            graph.Graph.Output.Add(OutputValue(name, model, options));
        }

        var proto = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = ProducerName,
            ProducerVersion = ProducerVersion,
            Graph = graph.Graph,
        };
        proto.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = OpsetVersion });
        GraphCheck.Validate(graph.Graph);
        foreach (var (key, value) in Metadata(model, options, channels))
            proto.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        return proto;
    }

    /// <summary>The version of this package, such as <c>0.1.0</c>.</summary>
    public static string ProducerVersion { get; } =
        (typeof(OnnxExporter).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0")
            .Split('+')[0];

    /// <summary>
    /// A ResNet's outputs: its logits (or pooled <c>features</c> without a classifier), or with
    /// <see cref="OnnxExportOptions.StageOutputs"/> every stage's feature map; null for other modules.
    /// </summary>
    private static Func<ForwardGraph, GraphValue, IReadOnlyList<NamedValue>>? ResNetOutputs(torch.nn.Module model, OnnxExportOptions options)
    {
        if (model is not ResNet network)
            return null;
        if (options.StageOutputs)
            return (graph, input) => network.DescribeStages(graph, input).Select((value, i) => new NamedValue($"stage{i + 1}", value)).ToArray();
        return (graph, input) => new[] { new NamedValue(network.NumClasses > 0 ? LogitsOutput : FeaturesOutput, network.Describe(graph, input)) };
    }

    /// <summary>The forward outputs that <see cref="ResNetOutputs"/> describes, for the check against the description; null for other modules.</summary>
    private static Func<Tensor, IReadOnlyList<(string Name, Tensor Value)>>? ResNetForward(torch.nn.Module model, OnnxExportOptions options)
    {
        if (model is not ResNet network)
            return null;
        if (options.StageOutputs)
            return input => network.ForwardStages(input).Select((value, i) => ($"stage{i + 1}", value)).ToArray();
        return input => new[] { (network.NumClasses > 0 ? LogitsOutput : FeaturesOutput, network.call(input)) };
    }

    /// <summary>The outputs under the names of <see cref="OnnxExportOptions.OutputNames"/>, when given.</summary>
    private static IReadOnlyList<NamedValue> Named(IReadOnlyList<NamedValue> outputs, OnnxExportOptions options)
    {
        if (options.OutputNames is not { } names)
            return outputs;
        if (names.Count != outputs.Count)
            throw new ArgumentException(
                $"OnnxExportOptions.OutputNames gives {names.Count} names, but the model has {outputs.Count} outputs " +
                $"({string.Join(", ", outputs.Select(output => output.Name))}); give one name per output, in that order.", nameof(options));
        if (names.Contains(InputName))
            throw new ArgumentException($"OnnxExportOptions.OutputNames must not use the input's name '{InputName}'.", nameof(options));
        return outputs.Select((output, i) => output with { Name = names[i] }).ToArray();
    }

    private static ValueInfoProto OutputValue(string name, torch.nn.Module model, OnnxExportOptions options)
    {
        if (model is ResNet network && options.OutputNames is null)
        {
            if (name == LogitsOutput)
                return Value(name, Dimension("batch"), Dimension(network.NumClasses));
            if (name == FeaturesOutput)
                return Value(name, Dimension("batch"), Dimension(network.NumFeatures));
            int stage = int.Parse(name["stage".Length..], CultureInfo.InvariantCulture);
            return Value(name, Dimension("batch"), Dimension(network.FeatureInfo[stage - 1].Channels), new(), new());
        }
        // Other modules' outputs keep their rank open: a block gives [batch, C, H, W], a user's head may give [batch, classes].
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float } },
        };
    }

    private static IEnumerable<(string Key, string Value)> Metadata(torch.nn.Module model, OnnxExportOptions options, int channels)
    {
        yield return (OnnxMetadataKeys.Producer, $"{ProducerName} {ProducerVersion}");
        yield return (OnnxMetadataKeys.Module, model.GetType().Name);
        yield return (OnnxMetadataKeys.BatchNorm, options.FoldBatchNorm ? "folded" : "kept");
        // A classifier's or a segmentation head's own class count wins over the pretrained configuration's.
        int? classes = model switch
        {
            ResNet network => network.NumClasses,
            SegmentationModel segmentation => segmentation.NumClasses,
            _ => null,
        };
        if (classes is { } count)
            yield return (OnnxMetadataKeys.NumClasses, count.ToString(CultureInfo.InvariantCulture));
        if (options.Pretrained is not { } pretrained)
            yield break;
        if (pretrained.Source is { } source)
            yield return (OnnxMetadataKeys.HubId, source.Id);
        yield return (OnnxMetadataKeys.InputSize, $"{channels},{pretrained.InputSize},{pretrained.InputSize}");
        yield return (OnnxMetadataKeys.CropPct, pretrained.CropFraction.ToString("R", CultureInfo.InvariantCulture));
        yield return (OnnxMetadataKeys.Interpolation, pretrained.Interpolation.ToString().ToLowerInvariant());
        yield return (OnnxMetadataKeys.Mean, List(pretrained.Mean));
        yield return (OnnxMetadataKeys.Std, List(pretrained.Std));
        if (classes is null)
            yield return (OnnxMetadataKeys.NumClasses, pretrained.NumClasses.ToString(CultureInfo.InvariantCulture));
    }

    private static string List(IReadOnlyList<float> values) =>
        string.Join(",", values.Select(v => v.ToString("R", CultureInfo.InvariantCulture)));

    private static ValueInfoProto Value(string name, params TensorShapeProto.Types.Dimension[] dims)
    {
        var shape = new TensorShapeProto();
        shape.Dim.AddRange(dims);
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
        };
    }

    private static TensorShapeProto.Types.Dimension Dimension(long size) => new() { DimValue = size };

    private static TensorShapeProto.Types.Dimension Dimension(string symbol) => new() { DimParam = symbol };
}
