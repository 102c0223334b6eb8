using System;
using System.IO;
using System.Linq;
using FluentAssertions;
using ResNeStBlocks.Backbones;
using ResNeStBlocks.Dense;
using ResNeStBlocks.Testing;
using ResNeStBlocks.Weights;
using ResNeStBlocks.Zoo;
using Xunit;
using static TorchSharp.torch;

namespace ResNeStBlocks.Tests.Dense;

/// <summary>The factory: its names, the ResNeSt and DeepLabV3+ variants, output strides, and its argument checks.</summary>
public class SegmentationModelsTests
{
    [Fact]
    public void Names_are_every_head_on_every_backbone()
    {
        string[] backbones = { "resnest101e", "resnest200e", "resnest269e", "resnest50d", "resnet101", "resnet50" };
        SegmentationModels.Names.Should().Equal(new[] { "deeplabv3", "deeplabv3plus", "fcn" }
            .SelectMany(head => backbones.Select(backbone => $"{head}_{backbone}")).OrderBy(n => n, StringComparer.Ordinal));
        SegmentationModels.Names.Should().HaveCount(18).And.OnlyContain(n => SegmentationModels.Contains(n));
        SegmentationModels.Contains("deeplabv3_resnet152").Should().BeFalse();
    }

    [Theory]
    [InlineData("deeplabv3_resnest50d", "resnest50d", SegmentationHeadType.DeepLabV3, 8)]
    [InlineData("fcn_resnest101e", "resnest101e", SegmentationHeadType.Fcn, 8)]
    [InlineData("deeplabv3_resnest269e", "resnest269e", SegmentationHeadType.DeepLabV3, 8)]
    [InlineData("deeplabv3plus_resnest200e", "resnest200e", SegmentationHeadType.DeepLabV3Plus, 16)]
    public void ResNeSt_backbones_are_the_zoo_architecture_dilated_without_classifier(string name, string zooName, SegmentationHeadType head, int outputStride)
    {
        SegmentationModels.HeadType(name).Should().Be(head);
        SegmentationModels.BackboneConfig(name).Should().Be(ModelZoo.Config(zooName) with { NumClasses = 0, OutputStride = outputStride });
    }

    [Theory]
    [InlineData("deeplabv3_resnet101", new[] { 3, 4, 23, 3 })]
    [InlineData("deeplabv3plus_resnet50", new[] { 3, 4, 6, 3 })]
    public void ResNet_backbones_are_torchvisions_initialised_without_zero_init(string name, int[] layers)
    {
        var config = SegmentationModels.BackboneConfig(name);
        config.Layers.Should().Equal(layers);
        config.ZeroInitLast.Should().BeFalse();
        config.StemType.Should().Be(StemType.Default);
        config.Block.Should().Be(ModelZoo.Config("resnet50").Block);
    }

    /// <summary>
    /// The backbone is the zoo model minus its classifier, and the heads are torchvision's: the parameter count is the
    /// zoo's minus fc plus what torchvision's deeplabv3_resnet50 has beyond its ResNet-50 (heads for 2048 and 1024 channels).
    /// </summary>
    [Fact]
    public void DeepLabV3_on_ResNeSt50_is_the_zoo_backbone_plus_torchvisions_heads()
    {
        using var model = SegmentationModels.Create("deeplabv3_resnest50d");
        using var zoo = ModelZoo.Create("resnest50d");
        var zooKeys = StateDictListing.Of(zoo).Where(k => !k.StartsWith("fc.", StringComparison.Ordinal));
        StateDictListing.Of(model).Where(k => k.StartsWith("backbone.", StringComparison.Ordinal)).Should().BeEquivalentTo(zooKeys.Select(k => "backbone." + k));
        StateDictListing.Of(model).Should().OnlyContain(k =>
            k.StartsWith("backbone.", StringComparison.Ordinal) || k.StartsWith("classifier.", StringComparison.Ordinal) || k.StartsWith("aux_classifier.", StringComparison.Ordinal));
        StateDictListing.Of(model.Backbone).Should().BeEquivalentTo(zooKeys);

        const long zooFc = 2048 * 1000 + 1000;
        const long torchvisionHeads = 42_004_074 - (25_557_032 - zooFc);   // deeplabv3_resnet50 minus timm/torchvision's resnet50 without fc
        StateDictListing.Parameters(model).Should().Be(ModelZoo.TimmParameterCount("resnest50d") - zooFc + torchvisionHeads).And.Be(43_930_282);
    }

    /// <summary>
    /// The generator's DeepLabV3+ reference (smp's decoder and head conv) over torchvision's ResNet-50 without fc, 21 classes,
    /// counted with torch: 26,682,725 parameters; torchvision's auxiliary FCNHead(1024, 21) adds 2,365,205.
    /// </summary>
    [Theory]
    [InlineData(true, 29_047_930)]
    [InlineData(false, 26_682_725)]
    public void DeepLabV3Plus_on_ResNet50_has_the_references_parameter_count(bool auxLoss, long parameters)
    {
        using var model = SegmentationModels.Create("deeplabv3plus_resnet50", auxLoss: auxLoss);
        StateDictListing.Parameters(model).Should().Be(parameters);
        model.Classifier.Should().BeOfType<DeepLabV3PlusHead>();
        (model.AuxClassifier is not null).Should().Be(auxLoss);
        model.OutputStride.Should().Be(16);
        StateDictListing.Of(model).Should().Contain(new[]
        {
            "classifier.aspp.0.convs.1.0.0.weight [2048, 1, 3, 3]", "classifier.aspp.0.convs.1.0.1.weight [256, 2048, 1, 1]",
            "classifier.aspp.0.convs.4.1.weight [256, 2048, 1, 1]", "classifier.aspp.0.project.0.weight [256, 1280, 1, 1]",
            "classifier.aspp.1.0.weight [256, 1, 3, 3]", "classifier.aspp.2.weight [256]", "classifier.block1.0.weight [48, 256, 1, 1]",
            "classifier.block2.0.0.weight [304, 1, 3, 3]", "classifier.block2.0.1.weight [256, 304, 1, 1]", "classifier.head.weight [21, 256, 1, 1]",
            "classifier.head.bias [21]",
        });
    }

    [Theory]
    [InlineData(SegmentationHeadType.DeepLabV3, 8)]
    [InlineData(SegmentationHeadType.DeepLabV3, 16)]
    [InlineData(SegmentationHeadType.Fcn, 8)]
    [InlineData(SegmentationHeadType.Fcn, 16)]
    [InlineData(SegmentationHeadType.DeepLabV3Plus, 8)]
    [InlineData(SegmentationHeadType.DeepLabV3Plus, 16)]
    public void Logits_have_the_input_size_at_output_stride_8_and_16(SegmentationHeadType head, int outputStride)
    {
        var backbone = ModelZoo.Config("resnest14d") with { Channels = new[] { 8, 16, 16, 24 }, StemWidth = 8, OutputStride = outputStride };
        using var model = SegmentationModels.Create(head, backbone, numClasses: 4);
        model.OutputStride.Should().Be(outputStride);
        model.Backbone.FeatureInfo.Select(f => f.Reduction).Should().Equal(outputStride == 8 ? new[] { 4, 8, 8, 8 } : new[] { 4, 8, 16, 16 });
        model.eval();
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var input = randn(new long[] { 2, 3, 50, 38 }, generator: new Generator(7));
        model.call(input).shape.Should().Equal(2, 4, 50, 38);
        var both = model.ForwardWithAux(input);
        both.Out.shape.Should().Equal(2, 4, 50, 38);
        both.Aux!.shape.Should().Equal(2, 4, 50, 38);
        var stages = model.Backbone.ForwardStages(input);
        stages[^1].shape.Should().Equal(2, 96, (50 + outputStride - 1) / outputStride, (38 + outputStride - 1) / outputStride);
    }

    /// <summary>Where pretrained backbones come in: a timm checkpoint of the zoo model (with its fc) loads into the dilated, headless backbone.</summary>
    [Fact]
    public void The_backbone_takes_the_zoo_models_weights()
    {
        string path = Path.Combine(Path.GetTempPath(), $"dense-backbone-{Guid.NewGuid():N}.safetensors");
        try
        {
            using var zoo = ModelZoo.Create("resnest14d");
            zoo.SaveWeights(path);
            using var model = SegmentationModels.Create(SegmentationHeadType.DeepLabV3, ModelZoo.Config("resnest14d") with { OutputStride = 8 });
            var result = model.Backbone.LoadWeights(path, skipClassifier: true);
            result.SkippedKeys.Should().BeEquivalentTo("fc.weight", "fc.bias");
            using var _ = no_grad();
            var expected = zoo.state_dict();
            foreach (var (key, value) in model.Backbone.state_dict())
                value.allclose(expected[key], rtol: 0, atol: 0).Should().BeTrue(key);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Configure_changes_the_backbone()
    {
        using var model = SegmentationModels.Create("fcn_resnet50", numClasses: 3, auxLoss: false,
            configure: c => c with { Layers = new[] { 1, 1, 1, 1 }, Channels = new[] { 8, 8, 8, 8 }, OutputStride = 16, DropPathRate = 0.1 });
        model.Backbone.Config.OutputStride.Should().Be(16);
        model.Backbone.Config.DropPathRate.Should().Be(0.1);
        model.Backbone.NumClasses.Should().Be(0);
        model.AuxClassifier.Should().BeNull();
        StateDictListing.Of(model).Should().Contain("classifier.4.weight [3, 8, 1, 1]").And.NotContain(k => k.StartsWith("aux_classifier.", StringComparison.Ordinal));
    }

    [Fact]
    public void Unknown_name_is_rejected_with_the_known_names() =>
        FluentActions.Invoking(() => SegmentationModels.Create("deeplabv3_resnet152"))
            .Should().Throw<ArgumentException>().WithParameterName("name")
            .WithMessage($"Unknown segmentation model 'deeplabv3_resnet152'. Known models: {string.Join(", ", SegmentationModels.Names)}. (Parameter 'name')");

    [Fact]
    public void Undilated_backbone_is_rejected_with_the_fix() =>
        FluentActions.Invoking(() => SegmentationModels.Create(SegmentationHeadType.DeepLabV3, ModelZoo.Config("resnest50d")))
            .Should().Throw<ArgumentException>().WithParameterName("backbone")
            .WithMessage("A segmentation backbone is dilated to output stride 8 or 16 (DeepLabV3 uses 8), got 32; pass the configuration with { OutputStride = 8 }. (Parameter 'backbone')");

    [Fact]
    public void Zero_classes_are_rejected() =>
        FluentActions.Invoking(() => SegmentationModels.Create("fcn_resnet50", numClasses: 0))
            .Should().Throw<ArgumentOutOfRangeException>().WithParameterName("numClasses")
            .WithMessage("numClasses must be at least 1, got 0.*");
}
