using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using FluentAssertions;
using ResNeStBlocks.Backbones;
using ResNeStBlocks.Blocks;
using ResNeStBlocks.Onnx.Tests.Support;
using ResNeStBlocks.Zoo;
using Xunit;
using static TorchSharp.torch;

namespace ResNeStBlocks.Onnx.Tests;

/// <summary>The file's contract: names, opset, metadata, errors for modules the exporter does not know.</summary>
public class ExportContractTests
{
    /// <summary>A user's own attention layer: something the exporter cannot know.</summary>
    private sealed class GateAttention : nn.Module<Tensor, Tensor>
    {
        public GateAttention() : base(nameof(GateAttention)) { }

        public override Tensor forward(Tensor input) => input * 0.5;
    }

    [Fact]
    public void Metadata_and_producer_round_trip_through_onnx_runtime()
    {
        using var model = ModelZoo.Create("resnest14d", 10);
        var pretrained = ModelZoo.Pretrained("resnest14d");
        var bytes = OrtRunner.Export(model, new OnnxExportOptions { Pretrained = pretrained });
        using var runner = new OrtRunner(bytes);
        var metadata = runner.Session.ModelMetadata;
        metadata.ProducerName.Should().Be("ResNeStBlocks.Onnx");
        metadata.CustomMetadataMap.Should().BeEquivalentTo(new Dictionary<string, string>
        {
            ["producer"] = "ResNeStBlocks.Onnx " + OnnxExporter.ProducerVersion,
            ["module"] = "ResNet",
            ["batchnorm"] = "folded",
            ["num_classes"] = "10",
            ["hub_id"] = "timm/resnest14d.gluon_in1k",
            ["input_size"] = "3,224,224",
            ["crop_pct"] = "0.875",
            ["interpolation"] = "bilinear",
            ["mean"] = "0.485,0.456,0.406",
            ["std"] = "0.229,0.224,0.225",
        });
        runner.Session.InputMetadata["input"].Dimensions.Should().Equal(-1, 3, 224, 224);
        runner.Session.InputMetadata["input"].SymbolicDimensions[0].Should().Be("batch");
        runner.Session.OutputNames.Should().Equal("logits");

        var proto = OnnxGraph.Parse(bytes);
        proto.IrVersion.Should().Be(8);
        proto.OpsetImport.Should().ContainSingle().Which.Version.Should().Be(17);
        proto.ProducerVersion.Should().Be(OnnxExporter.ProducerVersion).And.MatchRegex(@"^\d+\.\d+\.\d+");
    }

    [Fact]
    public void Unknown_attention_inside_a_resnet_names_its_path_and_type()
    {
        using var model = new ResNet(new ResNetConfig(new BottleneckSpec(Attention: _ => new GateAttention()), new[] { 1, 1, 1, 1 })
        {
            Channels = new[] { 8, 16, 32, 64 },
            NumClasses = 4,
        });
        var act = () => OrtRunner.Export(model);
        act.Should().Throw<NotSupportedException>().WithMessage(
            "ONNX export does not support the module at 'layer1.0.se' of type ResNeStBlocks.Onnx.Tests.ExportContractTests+GateAttention: " +
            "nothing describes its forward. Implement IDescribedModule on it, or register a description before exporting: " +
            "ModuleDescriptions.Register<GateAttention>((graph, module, input) => ...). This library's layers, blocks, backbones and heads, " +
            "and TorchSharp's common layers (convolution, BatchNorm, linear, pooling, activations, dropout, Flatten, Upsample, Sequential), " +
            "are described already.");
    }

    [Fact]
    public void Unknown_root_module_is_refused_and_no_file_is_written()
    {
        using var module = new GateAttention();
        string path = Path.Combine(Path.GetTempPath(), $"onnx-{Guid.NewGuid():N}.onnx");
        var act = () => OnnxExporter.Export(module, path, new OnnxExportOptions { InputChannels = 3 });
        act.Should().Throw<NotSupportedException>().WithMessage(
            "ONNX export does not support the module at (the exported module itself) of type ResNeStBlocks.Onnx.Tests.ExportContractTests+GateAttention: nothing describes its forward.*");
        File.Exists(path).Should().BeFalse();
    }

    [Fact]
    public void Unknown_input_channels_ask_for_the_option()
    {
        // Described, but no layer of it reads the input's channels.
        using var module = nn.Sequential(nn.ReLU(), nn.AdaptiveAvgPool2d(1));
        var act = () => OrtRunner.Export(module);
        act.Should().Throw<ArgumentException>().WithMessage(
            "The input channels of a Sequential are unknown (no layer of its description reads the input directly); " +
            "set OnnxExportOptions.InputChannels. (Parameter 'options')");
    }

    [Fact]
    public void Out_of_range_options_are_refused()
    {
        using var block = new BasicBlock(8, 8);
        var act = () => OrtRunner.Export(block, new OnnxExportOptions { InputHeight = 0 });
        act.Should().Throw<ArgumentOutOfRangeException>().WithMessage("InputHeight must be at least 1, got 0.*")
            .Which.ParamName.Should().Be("InputHeight");
    }

    [Fact]
    public void File_export_writes_the_same_bytes_as_stream_export()
    {
        using var block = new BasicBlock(8, 8);
        string path = Path.Combine(Path.GetTempPath(), $"onnx-{Guid.NewGuid():N}.onnx");
        try
        {
            OnnxExporter.Export(block, path, new OnnxExportOptions { InputHeight = 8, InputWidth = 8 });
            File.ReadAllBytes(path).Should().Equal(OrtRunner.Export(block, new OnnxExportOptions { InputHeight = 8, InputWidth = 8 }));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
