using System.Linq;
using FluentAssertions;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using ResNeStBlocks.Detection;
using ResNeStBlocks.Onnx.Export.Detection;
using ResNeStBlocks.Onnx.Graph;
using ResNeStBlocks.Onnx.Proto;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace ResNeStBlocks.Onnx.Tests;

/// <summary>Mask R-CNN's pasting as ONNX nodes (<see cref="MaskPasteGraph"/>) against <see cref="MaskOps.PasteMasksInImage"/>.</summary>
public class MaskPasteGraphTests
{
    private readonly ITestOutputHelper output;

    public MaskPasteGraphTests(ITestOutputHelper output) => this.output = output;

    /// <summary>
    /// Boxes inside the image, across each border (their grown boxes start at negative pixels, where truncation rounds
    /// toward zero), larger than the image, thinner than a pixel and empty, and no boxes at all: the graph's masks equal
    /// the library's within 1e-6.
    /// </summary>
    [Fact]
    public void Pasted_masks_equal_the_librarys_for_boxes_inside_across_and_beyond_the_borders()
    {
        using var session = new InferenceSession(PasteModel().ToByteArray());
        var boxes = new float[]
        {
            10.3f, 5.7f, 40.9f, 30.2f,
            -3.4f, -2.6f, 12.5f, 9.1f,
            50.2f, 20.8f, 64f, 48f,
            -20f, -15f, 90f, 70f,
            30.1f, 12.4f, 30.6f, 12.45f,
            22f, 22f, 22f, 22f,
            0.6f, 40.2f, 63.4f, 47.9f,
        };
        using var generator = new Generator(11);
        foreach (long count in new[] { boxes.Length / 4L, 0 })
        {
            using var scope = NewDisposeScope();
            var masks = rand(new long[] { count, 1, 28, 28 }, generator: generator);
            var boxTensor = tensor(boxes.Take((int)count * 4).ToArray(), new long[] { count, 4 });
            var expected = MaskOps.PasteMasksInImage(masks, boxTensor, 48, 64);
            using var maskValue = OrtValue.CreateTensorValueFromMemory(
                // TorchSharp's accessor cannot copy an empty tensor.
                count == 0 ? System.Array.Empty<float>() : masks.contiguous().data<float>().ToArray(), new long[] { count, 1, 28, 28 });
            using var boxValue = OrtValue.CreateTensorValueFromMemory(boxes.Take((int)count * 4).ToArray(), new long[] { count, 4 });
            using var sizeValue = OrtValue.CreateTensorValueFromMemory(new long[] { 48, 64 }, new long[] { 2 });
            using var runOptions = new RunOptions();
            using var results = session.Run(runOptions, new[] { "masks", "boxes", "size" }, new[] { maskValue, boxValue, sizeValue }, new[] { "pasted" });
            results[0].GetTensorTypeAndShape().Shape.Should().Equal(count, 1, 48, 64);
            if (count == 0)
                continue;
            var found = tensor(results[0].GetTensorDataAsSpan<float>().ToArray(), new long[] { count, 1, 48, 64 });
            double difference = found.sub(expected).abs().max().item<float>();
            output.WriteLine($"{count} boxes: max |mask difference| {difference:E2}");
            difference.Should().BeLessThan(1e-6);
        }
    }

    private static ModelProto PasteModel()
    {
        var builder = new OnnxGraphBuilder(OnnxWeightType.Float32);
        foreach (var name in new[] { "masks", "boxes", "size", "pasted" })
            builder.Reserve(name);
        var ops = new DetectionOps(builder);
        builder.Output(MaskPasteGraph.Paste(ops, "masks", "boxes", "size", 28), "pasted");
        var graph = builder.Graph;
        graph.Input.Add(Value("masks", TensorProto.Types.DataType.Float, 4));
        graph.Input.Add(Value("boxes", TensorProto.Types.DataType.Float, 2));
        graph.Input.Add(Value("size", TensorProto.Types.DataType.Int64, 1));
        graph.Output.Add(Value("pasted", TensorProto.Types.DataType.Float, 4));
        var proto = new ModelProto { IrVersion = OnnxExporter.IrVersion, Graph = graph };
        proto.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = OnnxExporter.OpsetVersion });
        return proto;
    }

    private static ValueInfoProto Value(string name, TensorProto.Types.DataType type, int rank)
    {
        var shape = new TensorShapeProto();
        for (int i = 0; i < rank; i++)
            shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = $"{name}_{i}" });
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } } };
    }
}
