using System;
using System.Collections.Generic;
using System.Linq;
using FluentAssertions;
using ResNeStBlocks.Backbones;
using ResNeStBlocks.Blocks;
using ResNeStBlocks.Dense;
using ResNeStBlocks.Description;
using ResNeStBlocks.Detection.Models;
using ResNeStBlocks.Layers;
using ResNeStBlocks.Testing;
using ResNeStBlocks.Zoo;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace ResNeStBlocks.Tests.Description;

/// <summary>
/// The drift guard: every module type of the library's catalogue, in several configurations, computes by its description
/// (evaluated eagerly with TorchSharp) exactly what its eval forward computes, in float64, so a change to one of the two
/// that the other does not follow fails here, without ONNX Runtime.
/// </summary>
public class DescriptionDriftTests
{
    /// <summary>float64 leaves only rounding between two orders of the same arithmetic.</summary>
    private const double Tolerance = 1e-10;

    private sealed record Case(Type Type, Func<nn.Module> Build, long[] Input);

    private static readonly Dictionary<string, Case> Cases = new()
    {
        ["ConvNormAct 3x3 stride 2 grouped"] = new(typeof(ConvNormAct), () => new ConvNormAct(8, 16, 3, stride: 2, groups: 2), new long[] { 8, 11, 9 }),
        ["ConvNormAct 1x1 no activation"] = new(typeof(ConvNormAct), () => new ConvNormAct(8, 4, applyActivation: false), new long[] { 8, 6, 6 }),
        ["ConvNormAct dilated, DropBlock"] = new(typeof(ConvNormAct), () => new ConvNormAct(8, 8, 3, dilation: 2, dropBlock: new DropBlock(0.2, 3)), new long[] { 8, 10, 10 }),
        ["SplitAttention radix 2"] = new(typeof(SplitAttention), () => new SplitAttention(16, 16, new SplitAttentionOptions(Radix: 2)), new long[] { 16, 8, 8 }),
        ["SplitAttention radix 4, groups 2, stride 2"] = new(typeof(SplitAttention), () => new SplitAttention(16, 32, new SplitAttentionOptions(Stride: 2, Groups: 2, Radix: 4)), new long[] { 16, 9, 9 }),
        ["SplitAttention radix 1"] = new(typeof(SplitAttention), () => new SplitAttention(16, 16, new SplitAttentionOptions(Radix: 1)), new long[] { 16, 7, 7 }),
        ["DropBlock"] = new(typeof(DropBlock), () => new DropBlock(0.3, 3), new long[] { 4, 8, 8 }),
        ["DropBlock rate 0"] = new(typeof(DropBlock), () => new DropBlock(0), new long[] { 4, 8, 8 }),
        ["DropPath"] = new(typeof(DropPath), () => new DropPath(0.2), new long[] { 4, 5, 5 }),
        ["DropPath rate 0"] = new(typeof(DropPath), () => new DropPath(0), new long[] { 4, 5, 5 }),
        ["SelectiveKernel split"] = new(typeof(SelectiveKernel), () => new SelectiveKernel(16, 16), new long[] { 16, 9, 9 }),
        ["SelectiveKernel 3/5/7, no keep_3x3, no split, stride 2"] = new(typeof(SelectiveKernel),
            () => new SelectiveKernel(16, 32, new[] { 3, 5, 7 }, stride: 2, keepThreeByThree: false, splitInput: false), new long[] { 16, 10, 10 }),
        ["SelectiveKernelAttention 2 paths"] = new(typeof(SelectiveKernelAttention), () => new SelectiveKernelAttention(16, 2, 8), new long[] { 16, 1, 1 }),
        ["SelectiveKernelAttention 3 paths"] = new(typeof(SelectiveKernelAttention), () => new SelectiveKernelAttention(8, 3, 4), new long[] { 8, 1, 1 }),
        ["SqueezeExcite"] = new(typeof(SqueezeExcite), () => new SqueezeExcite(32), new long[] { 32, 6, 6 }),
        ["SqueezeExcite reduced 5"] = new(typeof(SqueezeExcite), () => new SqueezeExcite(24, reducedChannels: 5), new long[] { 24, 3, 7 }),
        ["LastLevelMaxPool odd size"] = new(typeof(LastLevelMaxPool), () => new LastLevelMaxPool(), new long[] { 4, 9, 7 }),
        ["LastLevelMaxPool even size"] = new(typeof(LastLevelMaxPool), () => new LastLevelMaxPool(), new long[] { 2, 8, 8 }),
        ["LastLevelP6P7 from C5"] = new(typeof(LastLevelP6P7), () => new LastLevelP6P7(16, 8), new long[] { 16, 9, 9 }),
        ["LastLevelP6P7 from P5"] = new(typeof(LastLevelP6P7), () => new LastLevelP6P7(8, 8), new long[] { 8, 8, 8 }),
        ["Aspp"] = new(typeof(Aspp), () => new Aspp(16, new[] { 2, 3, 4 }, 8), new long[] { 16, 9, 9 }),
        ["Aspp separable"] = new(typeof(Aspp), () => new Aspp(16, new[] { 1, 2 }, 8, separable: true), new long[] { 16, 8, 6 }),
        ["FcnHead"] = new(typeof(FcnHead), () => new FcnHead(16, 3), new long[] { 16, 7, 7 }),
        ["FcnHead 8 to 8"] = new(typeof(FcnHead), () => new FcnHead(8, 8), new long[] { 8, 5, 9 }),
        ["DeepLabHead"] = new(typeof(DeepLabHead), () => new DeepLabHead(16, 3, 8, new[] { 2, 4, 6 }), new long[] { 16, 9, 9 }),
        ["DeepLabHead rates 1/3"] = new(typeof(DeepLabHead), () => new DeepLabHead(8, 5, 8, new[] { 1, 3 }), new long[] { 8, 6, 10 }),
        ["BasicBlock"] = new(typeof(BasicBlock), () => new BasicBlock(16, 16), new long[] { 16, 8, 8 }),
        ["BasicBlock SE, reduce_first 2, stride 2"] = new(typeof(BasicBlock), () => new BasicBlock(16, 32, new BasicBlockSpec(Attention.SqueezeExcite) { ReduceFirst = 2 },
            new BlockPlacement(Stride: 2, Downsample: Downsample.Convolution(16, 32, 1, 2))), new long[] { 16, 9, 9 }),
        ["Bottleneck"] = new(typeof(Bottleneck), () => new Bottleneck(64, 16), new long[] { 64, 6, 6 }),
        ["Bottleneck ResNeXt 4x8, avg down"] = new(typeof(Bottleneck), () => new Bottleneck(32, 16, new BottleneckSpec(Cardinality: 4, BaseWidth: 8),
            new BlockPlacement(Stride: 2, Downsample: Downsample.Average(32, 64, 2))), new long[] { 32, 9, 9 }),
        ["ResNeStBottleneck radix 2"] = new(typeof(ResNeStBottleneck), () => new ResNeStBottleneck(64, 16), new long[] { 64, 8, 8 }),
        ["ResNeStBottleneck radix 0 is_first"] = new(typeof(ResNeStBottleneck), () => new ResNeStBottleneck(64, 16, new ResNeStSpec(Radix: 0, Cardinality: 2) { IsFirst = true }), new long[] { 64, 8, 8 }),
        ["ResNeStBottleneck radix 1, cardinality 4, avd first, stride 2"] = new(typeof(ResNeStBottleneck), () => new ResNeStBottleneck(64, 16,
            new ResNeStSpec(Radix: 1, Cardinality: 4, AvdFirst: true), new BlockPlacement(Stride: 2, Downsample: Downsample.Average(64, 64, 2))), new long[] { 64, 9, 9 }),
        ["Res2NetBottleneck scale 4"] = new(typeof(Res2NetBottleneck), () => new Res2NetBottleneck(64, 16, new Res2NetSpec(BaseWidth: 26, Scale: 4)), new long[] { 64, 7, 7 }),
        ["Res2NetBottleneck scale 2, stage form"] = new(typeof(Res2NetBottleneck), () => new Res2NetBottleneck(64, 16, new Res2NetSpec(BaseWidth: 48, Scale: 2),
            new BlockPlacement(Stride: 2, Downsample: Downsample.Convolution(64, 64, 1, 2))), new long[] { 64, 9, 9 }),
        ["SelectiveKernelBasicBlock"] = new(typeof(SelectiveKernelBasicBlock), () => new SelectiveKernelBasicBlock(32, 32), new long[] { 32, 8, 8 }),
        ["SelectiveKernelBasicBlock 3/5/7 no split"] = new(typeof(SelectiveKernelBasicBlock), () => new SelectiveKernelBasicBlock(32, 32,
            new SelectiveKernelBasicSpec(new SelectiveKernelOptions(new[] { 3, 5, 7 }, KeepThreeByThree: false, SplitInput: false))), new long[] { 32, 8, 8 }),
        ["SelectiveKernelBottleneck"] = new(typeof(SelectiveKernelBottleneck), () => new SelectiveKernelBottleneck(32, 8), new long[] { 32, 8, 8 }),
        ["SelectiveKernelBottleneck SE, stride 2"] = new(typeof(SelectiveKernelBottleneck), () => new SelectiveKernelBottleneck(32, 16,
            new SelectiveKernelBottleneckSpec(Attention: Attention.SqueezeExcite), new BlockPlacement(Stride: 2, Downsample: Downsample.Convolution(32, 64, 1, 2))), new long[] { 32, 9, 9 }),
        ["SamePaddedAvgPool"] = new(typeof(SamePaddedAvgPool), () => new SamePaddedAvgPool(), new long[] { 4, 7, 6 }),
        ["SamePaddedAvgPool 1x1"] = new(typeof(SamePaddedAvgPool), () => new SamePaddedAvgPool(), new long[] { 2, 1, 1 }),
        ["ResNet resnest14d narrow"] = new(typeof(ResNet), () => Narrow("resnest14d"), new long[] { 3, 40, 40 }),
        ["ResNet seresnext50 narrow, no classifier"] = new(typeof(ResNet), () => new ResNet(NarrowConfig("seresnext50_32x4d", classes: 0) with { Channels = new[] { 16, 16, 32, 32 } }), new long[] { 3, 36, 44 }),
        ["ResNet res2net50 narrow, output stride 16"] = new(typeof(ResNet), () => Narrow("res2net50_26w_4s", outputStride: 16), new long[] { 3, 33, 33 }),
        ["ResNet skresnet18 narrow"] = new(typeof(ResNet), () => Narrow("skresnet18"), new long[] { 3, 32, 32 }),
        ["SegmentationModel DeepLabV3, aux"] = new(typeof(SegmentationModel), () => Segmentation(SegmentationHeadType.DeepLabV3, 8), new long[] { 3, 34, 30 }),
        ["SegmentationModel FCN, stride 16"] = new(typeof(SegmentationModel), () => Segmentation(SegmentationHeadType.Fcn, 16), new long[] { 3, 33, 33 }),
        ["SegmentationModel DeepLabV3+ (DeepLabV3PlusHead)"] = new(typeof(SegmentationModel), () => Segmentation(SegmentationHeadType.DeepLabV3Plus, 16), new long[] { 3, 40, 36 }),
        ["BackboneWithFpn P6P7 (FeaturePyramidNetwork)"] = new(typeof(BackboneWithFpn), () => BackboneWithFpn.Create(NarrowConfig("resnest14d"), new LastLevelP6P7(96, 8), outChannels: 8, returnedLayers: new[] { 2, 3, 4 }), new long[] { 3, 64, 64 }),
        ["FrozenBatchNorm2d"] = new(typeof(FrozenBatchNorm2d), () => new FrozenBatchNorm2d(8), new long[] { 8, 5, 7 }),
        ["FrozenBatchNorm2d eps 1e-3"] = new(typeof(FrozenBatchNorm2d), () => new FrozenBatchNorm2d(4, 1e-3), new long[] { 4, 3, 3 }),
        ["FrozenBottleneck"] = new(typeof(FrozenBottleneck), () => new FrozenBottleneck(32, 8, 1), new long[] { 32, 7, 7 }),
        ["FrozenBottleneck stride 2, downsample"] = new(typeof(FrozenBottleneck), () => new FrozenBottleneck(16, 8, 2), new long[] { 16, 9, 9 }),
        ["TwoMlpHead"] = new(typeof(TwoMlpHead), () => new TwoMlpHead(4 * 3 * 3, 16), new long[] { 4, 3, 3 }),
        ["TwoMlpHead 1x1"] = new(typeof(TwoMlpHead), () => new TwoMlpHead(8, 4), new long[] { 8, 1, 1 }),
        ["DetectionBackbone (FrozenResNetBody, FeaturePyramidNetwork)"] = new(typeof(DetectionBackbone), () => new DetectionBackbone(new[] { 1, 1, 1, 1 }, 3, outChannels: 8), new long[] { 3, 64, 48 }),
        ["DetectionBackbone ResNet-50 stages, odd size"] = new(typeof(DetectionBackbone), () => new DetectionBackbone(new[] { 3, 4, 6, 3 }, 5, outChannels: 8), new long[] { 3, 37, 45 }),
        ["FastRcnnConvFcHead (v2, BatchNorm)"] = new(typeof(FastRcnnConvFcHead), () => new FastRcnnConvFcHead(8, 3, new[] { 8, 6 }, new[] { 16 }), new long[] { 8, 3, 3 }),
        ["FastRcnnConvFcHead without norm, two fully connected"] = new(typeof(FastRcnnConvFcHead), () => new FastRcnnConvFcHead(4, 5, new[] { 6 }, new[] { 12, 8 }, batchNorm: false), new long[] { 4, 5, 5 }),
        ["MaskRcnnHeads (v1, biases)"] = new(typeof(MaskRcnnHeads), () => new MaskRcnnHeads(8, new[] { 8, 6 }), new long[] { 8, 7, 7 }),
        ["MaskRcnnHeads BatchNorm, dilation 2"] = new(typeof(MaskRcnnHeads), () => new MaskRcnnHeads(4, new[] { 6, 6, 8 }, dilation: 2, batchNorm: true), new long[] { 4, 9, 9 }),
        ["MaskRcnnPredictor (ConvTranspose2d)"] = new(typeof(MaskRcnnPredictor), () => new MaskRcnnPredictor(8, 6, 3), new long[] { 8, 7, 7 }),
        ["MaskRcnnPredictor non-square"] = new(typeof(MaskRcnnPredictor), () => new MaskRcnnPredictor(4, 4, 2), new long[] { 4, 3, 5 }),
        ["ResNetFpnBackbone resnest14d (ResNetDetectionBody)"] = new(typeof(ResNetFpnBackbone), () => new ResNetFpnBackbone(NarrowConfig("resnest14d"), outChannels: 8), new long[] { 3, 64, 48 }),
        ["ResNetFpnBackbone resnet50d, odd size"] = new(typeof(ResNetFpnBackbone), () => new ResNetFpnBackbone(NarrowConfig("resnet50d"), 5, outChannels: 8), new long[] { 3, 37, 45 }),
        ["BackboneWithFpn max pool, BatchNorm"] = new(typeof(BackboneWithFpn), () => BackboneWithFpn.Create(NarrowConfig("resnet50d"), new LastLevelMaxPool(), outChannels: 8, batchNorm: true), new long[] { 3, 64, 48 }),
    };

    public static IEnumerable<object[]> Names() => Cases.Keys.Select(name => new object[] { name });

    [Theory]
    [MemberData(nameof(Names))]
    public void Eager_description_equals_eval_forward(string name)
    {
        var (_, build, shape) = Cases[name];
        manual_seed(31);
        using var module = build();
        RandomNorms.Randomize(module, 31);
        module.to(ScalarType.Float64);
        module.train();
        // A detection body's frozen BatchNorms stay in eval mode in training mode.
        var modes = module.modules().Prepend(module).Select(m => m.training).ToArray();
        using var scope = NewDisposeScope();
        var input = randn(new[] { 2L }.Concat(shape).ToArray(), ScalarType.Float64, generator: new Generator(37));

        double difference = DescriptionCheck.Verify(module, input, Tolerance);

        difference.Should().BeLessThan(Tolerance * 100, "the check returns the largest difference it found");
        module.modules().Prepend(module).Select(m => m.training).Should().Equal(modes, "every module's training flag is restored");
        modes[0].Should().BeTrue();
    }

    [Fact]
    public void Every_module_type_of_the_catalogue_has_cases()
    {
        // The detectors' modules are checked where described: the body (FrozenResNetBody, inside DetectionBackbone), its
        // blocks and norms and the box head here; the heads with several inputs or outputs (RpnHead, FastRcnnPredictor)
        // by the ONNX export's verification; the detectors themselves are exported by ResNeStBlocks.Onnx's detector graph.
        var detectors = typeof(ResNeStBlocks.Detection.Models.FasterRcnn).Namespace;
        var catalogue = typeof(ResNet).Assembly.GetTypes()
            .Where(t => typeof(nn.Module).IsAssignableFrom(t) && !t.IsAbstract && t.Namespace != detectors).ToList();
        // The two modules with several inputs are checked inside the modules that feed them (named in their cases).
        var inside = new[] { typeof(DeepLabV3PlusHead), typeof(FeaturePyramidNetwork) };
        catalogue.Except(inside).Should().BeEquivalentTo(Cases.Values.Select(c => c.Type).Where(t => t.Namespace != detectors).Distinct());
        Cases.Keys.Should().Contain(name => name.Contains(nameof(DeepLabV3PlusHead))).And.Contain(name => name.Contains(nameof(FeaturePyramidNetwork)));
        Cases.Values.GroupBy(c => c.Type).Where(g => g.Count() < 2).Select(g => g.Key.Name).Should().BeEmpty("each type is checked in several configurations");
    }

    [Fact]
    public void A_drifted_description_is_caught_naming_the_module_and_the_difference()
    {
        ModuleDescriptions.Register<DriftedScale>((graph, module, x) => graph.Add(x, graph.Parameter("alpha")));
        manual_seed(41);
        using var network = nn.Sequential(("stem", new ConvNormAct(3, 4, 3)), ("head", nn.Sequential(("scale", new DriftedScale(4)), ("pool", nn.AdaptiveAvgPool2d(1)))));
        using var scope = NewDisposeScope();
        var input = randn(new long[] { 1, 3, 6, 6 }, generator: new Generator(43));

        var act = () => DescriptionCheck.Verify(network, input);

        var error = act.Should().Throw<DescriptionMismatchException>().Which;
        error.ModulePath.Should().Be("head.scale");
        error.ModuleType.Should().Be(typeof(DriftedScale));
        error.Message.Should().MatchRegex(
            @"^The description of 'head\.scale' \(DriftedScale\) does not compute what its forward computes: on the same input the largest difference is [0-9.]+ " +
            @"\(allowed: 0\.0001 x [0-9.]+, the output's largest magnitude or 1\)\. Make the description \(IDescribedModule\.Describe or ModuleDescriptions\.Register\) " +
            @"state exactly what forward computes in eval mode\.$");
        error.LargestDifference.Should().BeGreaterThan(0.01);
    }

    [Fact]
    public void A_shape_drift_is_named_with_both_shapes()
    {
        ModuleDescriptions.Register<DriftedScale>((graph, module, x) => graph.Mean(graph.Mul(x, graph.Parameter("alpha")), new[] { 1 }, keepDim: false));
        using var module = new DriftedScale(4);
        using var scope = NewDisposeScope();
        var act = () => DescriptionCheck.Verify(module, ones(2, 4, 3, 3));
        act.Should().Throw<DescriptionMismatchException>().WithMessage(
            "The description of the root module (DriftedScale) does not compute what its forward computes: on the same input the description gives " +
            "shape [2, 3, 3] where the forward gives [2, 4, 3, 3]. *");
    }

    [Fact]
    public void A_module_in_training_mode_is_checked_in_eval_mode_and_its_flags_are_restored()
    {
        manual_seed(47);
        using var block = new ResNeStBottleneck(64, 16, placement: new BlockPlacement(DropPathRate: 0.5));
        RandomNorms.Randomize(block, 47);
        block.train();
        var norms = block.modules().OfType<BatchNorm2d>().ToList();
        norms[0].eval();
        var statistics = norms.Select(norm => norm.running_mean!.clone()).ToList();
        using var scope = NewDisposeScope();

        DescriptionCheck.Verify(block, randn(new long[] { 2, 64, 8, 8 }, generator: new Generator(53)));

        block.training.Should().BeTrue();
        norms[0].training.Should().BeFalse();
        norms.Skip(1).Should().OnlyContain(norm => norm.training);
        norms.Zip(statistics, (norm, before) => norm.running_mean!.equal(before).all().item<bool>()).Should().OnlyContain(same => same, "running statistics are only read");
    }

    [Fact]
    public void A_module_of_the_user_with_several_outputs_cannot_be_compared_and_says_what_to_do()
    {
        using var module = new TwoOutputs();
        using var scope = NewDisposeScope();
        var act = () => DescriptionCheck.Verify(module, ones(1, 2, 3, 3));
        act.Should().Throw<NotSupportedException>().WithMessage(
            "A TwoOutputs describes several outputs, and its forward's outputs are not known to the check. Check the modules inside it with " +
            "DescriptionCheck.Verify; to export it, set OnnxExportOptions.VerifyAgainstForward = false.");
    }

    private static ResNetConfig NarrowConfig(string name, int classes = 5, int outputStride = 32) => ModelZoo.Config(name) with
    {
        Layers = new[] { 1, 1, 1, 1 },
        Channels = new[] { 8, 8, 16, 24 },
        StemWidth = 8,
        NumClasses = classes,
        OutputStride = outputStride,
    };

    private static ResNet Narrow(string name, int classes = 5, int outputStride = 32) => new(NarrowConfig(name, classes, outputStride));

    private static SegmentationModel Segmentation(SegmentationHeadType head, int outputStride) =>
        SegmentationModels.Create(head, ModelZoo.Config("resnest14d") with { Channels = new[] { 8, 16, 16, 24 }, StemWidth = 8, OutputStride = outputStride }, numClasses: 3);

    private sealed class TwoOutputs : nn.Module<Tensor, Tensor>, IDescribedOutputs
    {
        public TwoOutputs() : base(nameof(TwoOutputs)) { }

        public override Tensor forward(Tensor input) => input;

        public IReadOnlyList<NamedValue> DescribeOutputs(ForwardGraph graph, GraphValue input) =>
            new[] { new NamedValue("a", input), new NamedValue("b", graph.Relu(input)) };
    }

    /// <summary>A user's module <c>y = x * alpha</c>; the tests register descriptions that drift from it.</summary>
    private sealed class DriftedScale : nn.Module<Tensor, Tensor>
    {
        // Held: a temporary Scalar can be freed by the finalizer thread while full() reads it.
        private static readonly Scalar Start = 1.5;

        public DriftedScale(int channels) : base(nameof(DriftedScale))
        {
            alpha = nn.Parameter(full(1, channels, 1, 1, Start));
            RegisterComponents();
        }

#pragma warning disable IDE0044 // TorchSharp registers the field by reflection.
        private Parameter alpha;
#pragma warning restore IDE0044

        public override Tensor forward(Tensor input) => input * alpha;
    }
}
