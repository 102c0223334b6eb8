using System;
using System.Linq;
using FluentAssertions;
using ResNeStBlocks.Backbones;
using ResNeStBlocks.Dense;
using ResNeStBlocks.Inference;
using ResNeStBlocks.Testing;
using ResNeStBlocks.Weights;
using ResNeStBlocks.Zoo;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace ResNeStBlocks.Tests.Dense;

/// <summary>What a segmentation model does beyond parity: training, folding, half precision, and its checks.</summary>
public class SegmentationModelBehaviourTests
{
    private const string Case = "deeplabv3_resnet50_tiny";

    private static SegmentationModel Tiny()
    {
        var c = TorchvisionFixtures.Case(Case);
        var model = DenseModules.Model(c);
        model.LoadWeights(c.WeightsPath);
        return model;
    }

    [Fact]
    public void Training_reaches_every_parameter_through_main_and_aux_losses()
    {
        using var model = Tiny();
        model.train();
        using var scope = NewDisposeScope();
        var generator = new Generator(11);
        var input = randn(new long[] { 2, 3, 40, 56 }, generator: generator);
        var target = randint(0, 3, new long[] { 2, 40, 56 }, generator: generator);
        var result = model.ForwardWithAux(input);
        using var half = 0.5.ToScalar();
        var loss = nn.functional.cross_entropy(result.Out, target) + nn.functional.cross_entropy(result.Aux!, target).mul(half);
        loss.backward();
        model.named_parameters().Where(p => p.parameter.grad is null || p.parameter.grad.abs().sum().item<float>() == 0)
            .Select(p => p.name).Should().BeEmpty();
    }

    [Fact]
    public void Dropout_is_active_in_training_mode_only()
    {
        using var model = Tiny();
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var input = randn(new long[] { 2, 3, 40, 56 }, generator: new Generator(12));
        model.train();
        var first = model.call(input);
        var second = model.call(input);
        (first - second).abs().max().item<float>().Should().BeGreaterThan(1e-3f, "ASPP's dropout draws a new mask per call");
        model.modules().OfType<Dropout>().Should().HaveCount(2, "ASPP's projection and the auxiliary FCN head");
        model.eval();
        TensorAssert.Close(model.call(input), model.call(input), 0, 0, "eval forward");
    }

    [Fact]
    public void Folding_folds_backbone_and_heads_and_keeps_the_outputs()
    {
        var c = TorchvisionFixtures.Case(Case);
        using var model = Tiny();
        using var scope = NewDisposeScope();
        var io = c.LoadIo();
        int norms = model.modules().OfType<BatchNorm2d>().Count();
        model.FoldBatchNorm().Should().Be(norms, "every BatchNorm follows a convolution: the backbone's, ASPP's branches, the heads'");
        model.modules().OfType<BatchNorm2d>().Should().BeEmpty();
        model.state_dict().Keys.Should().Contain("classifier.1.bias", "the head's 3x3 convolution took its BatchNorm's shift");
        FluentActions.Invoking(() => model.train()).Should().Throw<InvalidOperationException>();
        using var _ = no_grad();
        var (atol, rtol) = TorchvisionFixtures.Tolerance;
        var result = model.ForwardWithAux(io["input"]);
        TensorAssert.Close(result.Out, io["out"], atol, rtol, "folded out");
        TensorAssert.Close(result.Aux!, io["aux"], atol, rtol, "folded aux");
    }

    [Fact]
    public void Bfloat16_follows_float32()
    {
        var c = TorchvisionFixtures.Case(Case);
        using var model = Tiny();
        using var scope = NewDisposeScope();
        var io = c.LoadIo();
        model.ToHalfPrecision(ScalarType.BFloat16);
        using var _ = no_grad();
        var output = model.call(io["input"].to_type(ScalarType.BFloat16)).to_type(ScalarType.Float32);
        output.shape.Should().Equal(io["out"].shape);
        double relative = ((output - io["out"]).norm() / io["out"].norm()).item<float>();
        relative.Should().BeLessThan(3e-2);
    }

    [Fact]
    public void Input_of_the_wrong_rank_channels_or_dtype_is_rejected()
    {
        using var model = Tiny();
        using var scope = NewDisposeScope();
        FluentActions.Invoking(() => model.call(zeros(3, 40, 56))).Should().Throw<ArgumentException>().WithParameterName("input")
            .WithMessage("SegmentationModel expects a 4-D input [batch, 3, height, width], got shape [3, 40, 56]. (Parameter 'input')");
        FluentActions.Invoking(() => model.ForwardWithAux(zeros(1, 1, 40, 56))).Should().Throw<ArgumentException>().WithParameterName("input")
            .WithMessage("SegmentationModel expects 3 input channels, got 1 (shape [1, 1, 40, 56]). (Parameter 'input')");
        FluentActions.Invoking(() => model.call(zeros(new long[] { 1, 3, 40, 56 }, ScalarType.Float64))).Should().Throw<ArgumentException>().WithParameterName("input")
            .WithMessage("SegmentationModel has Float32 weights but the input is Float64; cast the input first: input.to_type(ScalarType.Float32). (Parameter 'input')");
    }

    [Fact]
    public void A_training_batch_of_one_image_is_rejected_before_the_pooling_branch()
    {
        using var model = Tiny();
        model.train();
        using var scope = NewDisposeScope();
        FluentActions.Invoking(() => model.call(zeros(1, 3, 40, 56))).Should().Throw<ArgumentException>().WithParameterName("input")
            .WithMessage("Aspp in training mode needs at least 2 images per batch, got 1: its pooling branch normalises one value per image and channel " +
                         "with batch statistics, which one image cannot give. Train with larger batches, or call eval(). (Parameter 'input')");
        model.eval();
        using var _ = no_grad();
        model.call(zeros(1, 3, 40, 56)).shape.Should().Equal(1, 3, 40, 56);
    }

    [Fact]
    public void A_backbone_with_a_classifier_is_rejected()
    {
        using var backbone = new ResNet(ModelZoo.Config("resnet50") with { Layers = new[] { 1, 1, 1, 1 }, Channels = new[] { 8, 8, 8, 8 }, NumClasses = 10 });
        using var head = new FcnHead(32, 3);
        FluentActions.Invoking(() => new SegmentationModel(backbone, head)).Should().Throw<ArgumentException>().WithParameterName("backbone")
            .WithMessage("The backbone has a classifier (fc, 10 classes), which a segmentation model does not use; build it without one: " +
                         "NumClasses = 0 in its ResNetConfig, or ModelZoo.Create(name, numClasses: 0, ...). (Parameter 'backbone')");
    }

    [Fact]
    public void Heads_whose_channels_differ_from_their_stage_are_rejected()
    {
        using var backbone = new ResNet(ModelZoo.Config("resnet50") with { Layers = new[] { 1, 1, 1, 1 }, Channels = new[] { 8, 8, 8, 16 }, NumClasses = 0 });
        using var head = new DeepLabHead(2048, 3, 16);
        FluentActions.Invoking(() => new SegmentationModel(backbone, head)).Should().Throw<ArgumentException>().WithParameterName("classifier")
            .WithMessage("The classifier expects 2048 channels but the backbone's layer4 gives 64; create it with 64 input channels. (Parameter 'classifier')");
        using var fcn = new FcnHead(64, 3);
        using var aux = new FcnHead(1024, 3);
        FluentActions.Invoking(() => new SegmentationModel(backbone, fcn, aux)).Should().Throw<ArgumentException>().WithParameterName("auxClassifier")
            .WithMessage("The auxClassifier expects 1024 channels but the backbone's layer3 gives 32; create it with 32 input channels. (Parameter 'auxClassifier')");
        using var plus = new DeepLabV3PlusHead(64, 256, 3, 16);
        FluentActions.Invoking(() => new SegmentationModel(backbone, plus)).Should().Throw<ArgumentException>().WithParameterName("classifier")
            .WithMessage("The classifier (its low-level features) expects 256 channels but the backbone's layer1 gives 32; create it with 32 input channels. (Parameter 'classifier')");
    }

    [Fact]
    public void The_class_sized_layer_is_the_one_each_head_names()
    {
        using var backbone = new ResNet(ModelZoo.Config("resnet50") with { Layers = new[] { 1, 1, 1, 1 }, Channels = new[] { 8, 8, 8, 16 }, NumClasses = 0 });
        using var model = new SegmentationModel(backbone, new DeepLabV3PlusHead(64, 32, 3, 16), new FcnHead(32, 3));
        model.state_dict().Keys.Where(model.DependsOnClassesOrAux).Should().Equal(
            "classifier.head.weight", "classifier.head.bias", "aux_classifier.0.weight", "aux_classifier.1.weight", "aux_classifier.1.bias",
            "aux_classifier.4.weight", "aux_classifier.4.bias", "aux_classifier.1.running_mean", "aux_classifier.1.running_var",
            "aux_classifier.1.num_batches_tracked");
        model.NumClasses.Should().Be(3);
        using var fcn = new FcnHead(8, 5);
        ((ISegmentationHead)fcn).ClassLayers.Should().Equal("4");
    }

    private sealed class NotAModule : ISegmentationHead
    {
        public int NumClasses => 3;
        public System.Collections.Generic.IReadOnlyList<string> ClassLayers => new[] { "0" };
        public bool AlignCorners => false;
        public void CheckStages(System.Collections.Generic.IReadOnlyList<FeatureInfo> stages, string parameterName) { }
        public Tensor ForwardStages(System.Collections.Generic.IReadOnlyList<Tensor> stages) => stages[^1];
        public ResNeStBlocks.Description.GraphValue DescribeStages(ResNeStBlocks.Description.ForwardGraph graph,
            System.Collections.Generic.IReadOnlyList<ResNeStBlocks.Description.GraphValue> stages) => stages[^1];
    }

    [Fact]
    public void A_head_that_is_not_a_module_or_misses_the_class_count_is_rejected()
    {
        using var backbone = new ResNet(ModelZoo.Config("resnet50") with { Layers = new[] { 1, 1, 1, 1 }, Channels = new[] { 8, 8, 8, 16 }, NumClasses = 0 });
        FluentActions.Invoking(() => new SegmentationModel(backbone, new NotAModule())).Should().Throw<ArgumentException>().WithParameterName("classifier")
            .WithMessage("NotAModule implements ISegmentationHead but is not a TorchSharp module; derive it from nn.Module so its parameters " +
                         "belong to the model. (Parameter 'classifier')");
        var config = ModelZoo.Config("resnet50") with { Layers = new[] { 1, 1, 1, 1 }, Channels = new[] { 8, 8, 8, 16 }, OutputStride = 8 };
        FluentActions.Invoking(() => SegmentationModels.Create(config, stages => new FcnHead(stages[^1].Channels, 4), numClasses: 3))
            .Should().Throw<ArgumentException>().WithParameterName("head")
            .WithMessage("The head predicts 4 classes but numClasses is 3; build both for the same classes. (Parameter 'head')");
        using var built = SegmentationModels.Create(config, stages => new FcnHead(stages[^1].Channels, 3), numClasses: 3, auxLoss: false);
        built.Classifier.Should().BeOfType<FcnHead>();
        built.NumClasses.Should().Be(3);
    }

    [Fact]
    public void Each_head_type_states_its_output_stride()
    {
        SegmentationModels.DefaultOutputStride(SegmentationHeadType.DeepLabV3).Should().Be(8);
        SegmentationModels.DefaultOutputStride(SegmentationHeadType.Fcn).Should().Be(8);
        SegmentationModels.DefaultOutputStride(SegmentationHeadType.DeepLabV3Plus).Should().Be(16);
        FluentActions.Invoking(() => SegmentationModels.DefaultOutputStride((SegmentationHeadType)7)).Should().Throw<ArgumentOutOfRangeException>()
            .WithParameterName("head").WithMessage("Unknown head 7; use one of DeepLabV3, Fcn, DeepLabV3Plus.*");
    }

    [Fact]
    public void A_DeepLabV3Plus_head_needs_two_stages()
    {
        using var backbone = new ResNet(ModelZoo.Config("resnet50") with { Layers = new[] { 1 }, Channels = new[] { 8 }, NumClasses = 0 });
        FluentActions.Invoking(() => new SegmentationModel(backbone, new DeepLabV3PlusHead(32, 32, 3, 16))).Should().Throw<ArgumentException>()
            .WithParameterName("classifier")
            .WithMessage("A DeepLabV3+ head (the last stage and layer1) reads 2 stages but is given 1; build the backbone with more stages. (Parameter 'classifier')");
        FluentActions.Invoking(() => new SegmentationModel(backbone, new FcnHead(32, 3), new FcnHead(32, 3))).Should().Throw<ArgumentException>()
            .WithParameterName("backbone")
            .WithMessage("The backbone has 1 stage; an auxiliary head reads the stages before the last and needs at least two. (Parameter 'backbone')");
    }

    [Fact]
    public void DeepLabV3Plus_head_checks_both_inputs()
    {
        using var head = new DeepLabV3PlusHead(16, 8, 3, 8, new[] { 1, 2, 3 });
        head.eval();
        using var scope = NewDisposeScope();
        FluentActions.Invoking(() => head.call(zeros(1, 16, 4, 4), zeros(1, 4, 16, 16))).Should().Throw<ArgumentException>().WithParameterName("lowLevel")
            .WithMessage("DeepLabV3PlusHead (low-level features) expects 8 input channels, got 4 (shape [1, 4, 16, 16]). (Parameter 'lowLevel')");
        FluentActions.Invoking(() => head.call(zeros(2, 16, 4, 4), zeros(1, 8, 16, 16))).Should().Throw<ArgumentException>().WithParameterName("lowLevel")
            .WithMessage("DeepLabV3PlusHead needs the same batch size for both inputs, got 2 and 1 (low-level). (Parameter 'lowLevel')");
        FluentActions.Invoking(() => head.call(zeros(1, 8, 4, 4), zeros(1, 8, 16, 16))).Should().Throw<ArgumentException>().WithParameterName("input")
            .WithMessage("DeepLabV3PlusHead expects 16 input channels, got 8 (shape [1, 8, 4, 4]). (Parameter 'input')");
    }

    [Fact]
    public void Head_constructors_reject_bad_sizes()
    {
        FluentActions.Invoking(() => new FcnHead(3, 2)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("inChannels")
            .WithMessage("inChannels / 4 (the hidden width) must be at least 1, got 0.*");
        FluentActions.Invoking(() => new Aspp(8, new[] { 6, 0 })).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("atrousRates")
            .WithMessage("atrousRates must be at least 1, got 0.*");
        FluentActions.Invoking(() => new Aspp(8, dropout: 1.0)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("dropout")
            .WithMessage("dropout must be in [0, 1), got 1.*");
        FluentActions.Invoking(() => new DeepLabHead(8, 0)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("numClasses");
    }
}
