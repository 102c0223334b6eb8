using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using FluentAssertions;
using ResNeStBlocks.Backbones;
using ResNeStBlocks.Blocks;
using ResNeStBlocks.Description;
using ResNeStBlocks.Layers;
using ResNeStBlocks.Onnx.Tests.Support;
using ResNeStBlocks.Testing;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace ResNeStBlocks.Onnx.Tests;

/// <summary>
/// Networks a user composes: TorchSharp's common layers out of the box, the user's own modules through
/// <see cref="ModuleDescriptions.Register{TModule}"/>, and a hand-composed ResNeSt-style classifier; each file run in ONNX
/// Runtime equals TorchSharp's eval forward, with the input channels inferred from the first layer that reads them.
/// </summary>
public class UserNetworkExportTests
{
    private const double Tolerance = 1e-5;

    public static IEnumerable<object[]> Layers() => LayerCases.Keys.Select(name => new object[] { name });

    private static readonly Dictionary<string, Func<nn.Module<Tensor, Tensor>>> LayerCases = new()
    {
        ["ReLU"] = () => nn.ReLU(),
        ["ReLU6"] = () => nn.ReLU6(),
        ["Sigmoid"] = () => nn.Sigmoid(),
        ["SiLU"] = () => nn.SiLU(),
        ["GELU exact"] = () => nn.GELU(),
        ["GELU tanh"] = () => nn.GELU(GELU.Approximate.tanh),
        ["Hardswish"] = () => nn.Hardswish(),
        ["Dropout"] = () => nn.Dropout(0.5),
        ["Dropout2d"] = () => nn.Dropout2d(0.5),
        ["Identity"] = () => nn.Identity(),
        ["BatchNorm2d alone"] = () => nn.Sequential(nn.ReLU(), nn.BatchNorm2d(8)),
        ["MaxPool2d 3/2/1"] = () => nn.MaxPool2d(3, 2, 1),
        ["AvgPool2d 2/2 ceil, no pad counted"] = () => nn.AvgPool2d(2, 2, ceil_mode: true, count_include_pad: false),
        ["AdaptiveAvgPool2d global"] = () => nn.AdaptiveAvgPool2d(1),
        ["AdaptiveAvgPool2d 3x2"] = () => nn.AdaptiveAvgPool2d(new long[] { 3, 2 }),
        ["Upsample nearest x2"] = () => nn.Upsample(scale_factor: new[] { 2.0, 2.0 }, mode: UpsampleMode.Nearest),
        ["Upsample nearest to 13x17"] = () => nn.Upsample(size: new long[] { 13, 17 }, mode: UpsampleMode.Nearest),
        ["Upsample bilinear x2"] = () => nn.Upsample(scale_factor: new[] { 2.0, 2.0 }, mode: UpsampleMode.Bilinear, align_corners: false),
        ["Upsample bilinear align_corners to 13x17"] = () => nn.Upsample(size: new long[] { 13, 17 }, mode: UpsampleMode.Bilinear, align_corners: true),
        ["pooled head: AdaptiveAvgPool2d, Flatten, Linear"] = () => nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 5)),
    };

    [Theory]
    [MemberData(nameof(Layers))]
    public void TorchSharp_layer_after_a_convolution_exports(string name)
    {
        manual_seed(3);
        // A convolution first: it states the input channels, and it makes the layer's input non-trivial.
        using var network = nn.Sequential(nn.Conv2d(3, 8, 3, padding: 1), LayerCases[name]());
        AssertMatches(network, new long[] { 3, 12, 12 }, name);
    }

    [Fact]
    public void Hand_composed_network_exports_with_dynamic_size_and_inferred_channels()
    {
        manual_seed(5);
        using var network = HandComposed();
        RandomNorms.Randomize(network, 5);
        var options = new OnnxExportOptions { DynamicSpatialSize = true };
        using var runner = OrtRunner.For(network, options);
        runner.Session.InputMetadata[OnnxExporter.InputName].Dimensions.Should().Equal(-1, 3, -1, -1);
        foreach (var size in new long[] { 32, 40 })
            AssertMatches(network, runner, new long[] { 3, size, size + 8 }, $"hand-composed network at {size}x{size + 8}");
    }

    [Fact]
    public void Registered_module_with_concatenation_addition_and_interpolation_exports()
    {
        ModuleDescriptions.Register<TwoScaleFusion>((graph, module, x) => module.Describe(graph, x));
        manual_seed(9);
        using var network = nn.Sequential(nn.Conv2d(3, 8, 3, padding: 1), new TwoScaleFusion(8), nn.Conv2d(16, 4, 1));
        AssertMatches(network, new long[] { 3, 15, 11 }, "registered fusion module");
    }

    [Fact]
    public void Unregistered_module_is_named_by_path_and_type_and_no_file_is_written()
    {
        using var network = nn.Sequential(("stem", nn.Conv2d(3, 8, 3)), ("mystery", new Unregistered()));
        string path = Path.Combine(Path.GetTempPath(), $"onnx-{Guid.NewGuid():N}.onnx");
        var act = () => OnnxExporter.Export(network, path);
        act.Should().Throw<NotSupportedException>().WithMessage(
            "ONNX export does not support the module at 'mystery' of type ResNeStBlocks.Onnx.Tests.UserNetworkExportTests+Unregistered: " +
            "nothing describes its forward.*");
        File.Exists(path).Should().BeFalse();
    }

    [Fact]
    public void Description_that_leaves_out_a_child_is_refused()
    {
        ModuleDescriptions.Register<Forgetful>((graph, module, x) => graph.Call(module.Used, x));
        using var network = new Forgetful();
        var act = () => OrtRunner.Export(network);
        act.Should().Throw<NotSupportedException>().WithMessage(
            "The module at 'Skipped' (Conv2d) belongs to the root module (Forgetful), but that module's description does not use it, " +
            "so the description cannot be complete.");
    }

    /// <summary>The network of the issue: a stem, Split-Attention, SE, a Res2Net and an SK block, global pooling and a linear head.</summary>
    private static nn.Module<Tensor, Tensor> HandComposed() => nn.Sequential(
        ("stem", nn.Sequential(nn.Conv2d(3, 32, 3, stride: 2, padding: 1, bias: false), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(3, 2, 1))),
        ("splat", new SplitAttention(32, 32, new SplitAttentionOptions(Radix: 2, Groups: 1))),
        ("se", new SqueezeExcite(32)),
        ("res2net", new Res2NetBottleneck(32, 8, new Res2NetSpec(BaseWidth: 26, Scale: 4))),
        ("sk", new SelectiveKernelBottleneck(32, 8, new SelectiveKernelBottleneckSpec())),
        ("pool", nn.AdaptiveAvgPool2d(1)),
        ("flatten", nn.Flatten()),
        ("head", nn.Linear(32, 10)));

    private static void AssertMatches(nn.Module<Tensor, Tensor> network, long[] sample, string what)
    {
        using var runner = OrtRunner.For(network, new OnnxExportOptions { DynamicSpatialSize = true });
        AssertMatches(network, runner, sample, what);
    }

    private static void AssertMatches(nn.Module<Tensor, Tensor> network, OrtRunner runner, long[] sample, string what)
    {
        network.eval();
        using var scope = NewDisposeScope();
        using var generator = new Generator(21);
        var input = randn(new[] { 2L }.Concat(sample).ToArray(), generator: generator);
        using var noGrad = no_grad();
        TensorAssert.Close(runner.RunSingle(input), network.call(input), Tolerance, Tolerance, what);
    }

    /// <summary>A user's module: a full-resolution branch beside a half-resolution one upsampled back, concatenated.</summary>
    private sealed class TwoScaleFusion : nn.Module<Tensor, Tensor>
    {
        private readonly Conv2d full;
        private readonly Conv2d half;

        public TwoScaleFusion(int channels) : base(nameof(TwoScaleFusion))
        {
            full = nn.Conv2d(channels, channels, 3, padding: 1);
            half = nn.Conv2d(channels, channels, 3, stride: 2, padding: 1);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            using var scope = NewDisposeScope();
            var local = full.call(x);
            var coarse = nn.functional.interpolate(half.call(x), new long[] { x.shape[2], x.shape[3] }, mode: InterpolationMode.Bilinear, align_corners: false);
            return cat(new[] { local + coarse, coarse }, 1).MoveToOuterDisposeScope();
        }

        public GraphValue Describe(ForwardGraph graph, GraphValue x)
        {
            var local = graph.Convolution(full, x);
            var coarse = graph.Resize(graph.Convolution(half, x), x, ResizeMode.Bilinear, alignCorners: false);
            return graph.Concat(new[] { graph.Add(local, coarse), coarse });
        }
    }

    private sealed class Unregistered : nn.Module<Tensor, Tensor>
    {
        public Unregistered() : base(nameof(Unregistered)) { }

        public override Tensor forward(Tensor input) => input.relu();
    }

    private sealed class Forgetful : nn.Module<Tensor, Tensor>
    {
        public Forgetful() : base(nameof(Forgetful))
        {
            Used = nn.Conv2d(3, 4, 1);
            Skipped = nn.Conv2d(4, 4, 1);
            RegisterComponents();
        }

        // Fields, as TorchSharp names children after the fields that hold them.
        public readonly Conv2d Used;
        public readonly Conv2d Skipped;

        public override Tensor forward(Tensor input) => Skipped.call(Used.call(input));
    }
}
