using System;
using System.Collections.Generic;
using System.Linq;
using FluentAssertions;
using ResNeStBlocks.Backbones;
using ResNeStBlocks.Dense;
using ResNeStBlocks.Inference;
using ResNeStBlocks.Onnx.Tests.Support;
using ResNeStBlocks.Testing;
using ResNeStBlocks.Weights;
using ResNeStBlocks.Zoo;
using Xunit;
using static TorchSharp.torch;

namespace ResNeStBlocks.Onnx.Tests;

/// <summary>How a test exports BatchNorm: folded by the exporter, kept as nodes, or folded in the model before export.</summary>
public enum BatchNormExport
{
    FoldedByExport,
    KeptAsNodes,
    FoldedInModel,
}

/// <summary>
/// Segmentation models (DeepLabV3, FCN, DeepLabV3+; with and without the auxiliary head; output stride 8 and 16) and
/// feature-pyramid backbones (max-pool level, P6/P7 from P5 and from C5, with and without BatchNorm) in ONNX Runtime
/// against the library, every output; and torchvision's reduced models and backbones against torchvision's outputs.
/// </summary>
public class DenseExportTests
{
    private const double Tolerance = OnnxAssert.Tolerance;

    public static IEnumerable<object[]> SegmentationKinds() => new[]
    {
        new object[] { SegmentationHeadType.DeepLabV3, true, 8, BatchNormExport.FoldedByExport, false },
        new object[] { SegmentationHeadType.DeepLabV3, false, 16, BatchNormExport.KeptAsNodes, true },
        new object[] { SegmentationHeadType.Fcn, true, 8, BatchNormExport.KeptAsNodes, true },
        new object[] { SegmentationHeadType.Fcn, false, 16, BatchNormExport.FoldedInModel, false },
        new object[] { SegmentationHeadType.DeepLabV3Plus, true, 16, BatchNormExport.FoldedInModel, true },
        new object[] { SegmentationHeadType.DeepLabV3Plus, false, 8, BatchNormExport.FoldedByExport, false },
    };

    [Theory]
    [MemberData(nameof(SegmentationKinds))]
    public void Segmentation_model_outputs_equal_the_library(SegmentationHeadType head, bool aux, int outputStride, BatchNormExport norms, bool dynamic)
    {
        using var model = SmallDenseModels.Segmentation(head, aux, outputStride);
        RandomNorms.Randomize(model, 23);
        model.eval();
        if (norms == BatchNormExport.FoldedInModel)
            model.FoldBatchNorm();
        var options = new OnnxExportOptions
        {
            FoldBatchNorm = norms != BatchNormExport.KeptAsNodes,
            DynamicSpatialSize = dynamic,
            InputHeight = 40,
            InputWidth = 48,
        };
        using var runner = OrtRunner.For(model, options);
        runner.Session.OutputNames.Should().Equal(aux ? new[] { "out", "aux" } : new[] { "out" });

        var generator = new Generator(29);
        var sizes = dynamic ? new[] { (40L, 48L), (37L, 53L) } : new[] { (40L, 48L) };
        foreach (var (height, width) in sizes)
            foreach (long batch in new long[] { 1, 2 })
            {
                using var scope = NewDisposeScope();
                var input = randn(new[] { batch, 3, height, width }, generator: generator);
                using var _ = no_grad();
                var expected = model.ForwardWithAux(input);
                var actual = runner.Run(input);
                string what = $"{head} aux {aux} OS {outputStride} {norms} at {batch}x{height}x{width}";
                TensorAssert.Close(actual["out"], expected.Out, Tolerance, Tolerance, what + " out");
                if (aux)
                    TensorAssert.Close(actual["aux"], expected.Aux!, Tolerance, Tolerance, what + " aux");
            }
    }

    /// <summary>The factory's own model (torchvision's 256-wide DeepLabV3 head) exports as built.</summary>
    [Fact]
    public void A_factory_model_exports_with_torchvisions_head_width()
    {
        using var model = SegmentationModels.Create(SegmentationHeadType.DeepLabV3, SmallDenseModels.ResNeSt(8), numClasses: 4);
        RandomNorms.Randomize(model, 31);
        model.eval();
        using var runner = OrtRunner.For(model, new OnnxExportOptions { InputHeight = 32, InputWidth = 32 });
        using var scope = NewDisposeScope();
        var input = randn(new long[] { 1, 3, 32, 32 }, generator: new Generator(37));
        using var _ = no_grad();
        var expected = model.ForwardWithAux(input);
        var actual = runner.Run(input);
        TensorAssert.Close(actual["out"], expected.Out, Tolerance, Tolerance, "factory DeepLabV3 out");
        TensorAssert.Close(actual["aux"], expected.Aux!, Tolerance, Tolerance, "factory DeepLabV3 aux");
    }

    [Fact]
    public void Segmentation_metadata_carries_the_models_classes_and_torchvisions_preprocessing()
    {
        using var model = SmallDenseModels.Segmentation(SegmentationHeadType.DeepLabV3, aux: true, outputStride: 8);
        using var runner = OrtRunner.For(model, new OnnxExportOptions
        {
            DynamicSpatialSize = true,
            Pretrained = SegmentationModels.Pretrained("deeplabv3_resnet50"),
        });
        runner.Session.ModelMetadata.CustomMetadataMap.Should().BeEquivalentTo(new Dictionary<string, string>
        {
            ["producer"] = $"{OnnxExporter.ProducerName} {OnnxExporter.ProducerVersion}",
            ["module"] = "SegmentationModel",
            ["batchnorm"] = "folded",
            ["num_classes"] = "5",
            ["hub_id"] = "https://download.pytorch.org/models/deeplabv3_resnet50_coco-cd0a2569.pth",
            ["input_size"] = "3,520,520",
            ["crop_pct"] = "1",
            ["interpolation"] = "bilinear",
            ["mean"] = "0.485,0.456,0.406",
            ["std"] = "0.229,0.224,0.225",
        });
        runner.Session.InputMetadata[OnnxExporter.InputName].Dimensions.Should().Equal(-1, 3, -1, -1);
        runner.Session.OutputNames.Should().Equal("out", "aux");
    }

    public static IEnumerable<object[]> PyramidKinds() => new[]
    {
        new object[] { "pool", true, new[] { 1, 2, 3, 4 }, BatchNormExport.FoldedByExport, false },
        new object[] { "pool", false, new[] { 1, 2, 3, 4 }, BatchNormExport.KeptAsNodes, true },
        new object[] { "p6p7_p5", false, new[] { 2, 3, 4 }, BatchNormExport.FoldedInModel, true },
        new object[] { "p6p7_c5", true, new[] { 2, 3, 4 }, BatchNormExport.KeptAsNodes, false },
        new object[] { "p6p7_c5", true, new[] { 2, 3, 4 }, BatchNormExport.FoldedByExport, true },
    };

    [Theory]
    [MemberData(nameof(PyramidKinds))]
    public void Pyramid_levels_equal_the_library(string extra, bool batchNorm, int[] returnedLayers, BatchNormExport norms, bool dynamic)
    {
        using var backbone = SmallDenseModels.Pyramid(extra, batchNorm, returnedLayers);
        RandomNorms.Randomize(backbone, 41);
        backbone.eval();
        if (norms == BatchNormExport.FoldedInModel)
            backbone.FoldBatchNorm();
        using var runner = OrtRunner.For(backbone, new OnnxExportOptions
        {
            FoldBatchNorm = norms != BatchNormExport.KeptAsNodes,
            DynamicSpatialSize = dynamic,
            InputHeight = 64,
            InputWidth = 48,
        });
        string[] extraNames = extra == "pool" ? new[] { "pool" } : new[] { "p6", "p7" };
        runner.Session.OutputNames.Should().Equal(returnedLayers.Select((_, i) => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).Concat(extraNames));

        var generator = new Generator(43);
        var sizes = dynamic ? new[] { (64L, 48L), (57L, 70L) } : new[] { (64L, 48L) };
        foreach (var (height, width) in sizes)
            foreach (long batch in new long[] { 1, 2 })
            {
                using var scope = NewDisposeScope();
                var input = randn(new[] { batch, 3, height, width }, generator: generator);
                using var _ = no_grad();
                var expected = backbone.call(input);
                var actual = runner.Run(input);
                foreach (var name in expected.Names)
                    TensorAssert.Close(actual[name], expected[name], Tolerance, Tolerance, $"{extra} norm {batchNorm} {norms} level {name} at {batch}x{height}x{width}");
            }
    }

    public static IEnumerable<object[]> TorchvisionModels() => TorchvisionFixtures.In("models");

    public static IEnumerable<object[]> TorchvisionBackbones() => TorchvisionFixtures.In("backbones");

    [Theory]
    [MemberData(nameof(TorchvisionModels))]
    public void Reduced_torchvision_models_give_torchvisions_outputs_in_onnx_runtime(string name)
    {
        var c = TorchvisionFixtures.Case(name);
        using var scope = NewDisposeScope();
        using var model = DenseModules.Model(c);
        model.LoadWeights(c.WeightsPath);
        var io = c.LoadIo();
        var input = io["input"];
        using var runner = OrtRunner.For(model, new OnnxExportOptions { InputHeight = (int)input.size(2), InputWidth = (int)input.size(3) });
        var actual = runner.Run(input);
        TensorAssert.Close(actual["out"], io["out"], Tolerance, Tolerance, $"{name} out: ORT vs torchvision");
        if (c.Bool("aux"))
            TensorAssert.Close(actual["aux"], io["aux"], Tolerance, Tolerance, $"{name} aux: ORT vs torchvision");
        else
            actual.Keys.Should().Equal("out");
    }

    [Theory]
    [MemberData(nameof(TorchvisionBackbones))]
    public void Torchvision_fpn_backbones_give_torchvisions_levels_in_onnx_runtime(string name)
    {
        var c = TorchvisionFixtures.Case(name);
        using var scope = NewDisposeScope();
        using var backbone = DenseModules.FpnBackbone(c);
        backbone.LoadWeights(c.WeightsPath);
        var io = c.LoadIo();
        var input = io["input"];
        using var runner = OrtRunner.For(backbone, new OnnxExportOptions { InputHeight = (int)input.size(2), InputWidth = (int)input.size(3) });
        var actual = runner.Run(input);
        actual.Keys.Should().Equal(c.Strings("output_names"));
        foreach (var level in c.Strings("output_names"))
            TensorAssert.Close(actual[level], io["output." + level], Tolerance, Tolerance, $"{name} level {level}: ORT vs torchvision");
    }
}
