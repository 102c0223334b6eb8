using System;
using System.Collections;
using System.Linq;
using System.Reflection;
using FluentAssertions;
using ResNeStBlocks.Description;
using ResNeStBlocks.Layers;
using ResNeStBlocks.Summary;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace ResNeStBlocks.Tests.Summary;

public class ModelSummarizerTests
{
    /// <summary>stem (conv 3->8 3x3 pad 1, BN, ReLU), down (conv 8->16 3x3 stride 2 groups 2), flatten, fc (144->10).</summary>
    private static nn.Module<Tensor, Tensor> SmallNet() => nn.Sequential(
        ("stem", nn.Sequential(nn.Conv2d(3, 8, 3, padding: 1), nn.BatchNorm2d(8), nn.ReLU())),
        ("down", nn.Conv2d(8, 16, 3, stride: 2, groups: 2)),
        ("flat", nn.Flatten()),
        ("fc", nn.Linear(16 * 3 * 3, 10)));

    [Fact]
    public void Small_net_rows_match_hand_computed_shapes_parameters_and_macs()
    {
        using var net = SmallNet();
        var summary = net.Summarize(1, 3, 8, 8);

        // Conv 3->8: 8x8x8 outputs, each 3 inputs x 3x3 taps; params 8*3*9 weights + 8 biases.
        long stemConvMacs = 8 * 8 * 8 * (3 * 3 * 3);
        // Conv 8->16, groups 2, stride 2, no padding: (8 - 3) / 2 + 1 = 3, so 16x3x3 outputs, each 8/2 x 3x3 taps.
        long downMacs = 16 * 3 * 3 * (8 / 2 * 3 * 3);
        long fcMacs = 144 * 10;
        stemConvMacs.Should().Be(13_824);
        downMacs.Should().Be(5_184);

        summary.Layers.Select(l => (l.Name, l.Type, Shape: string.Join("x", l.OutputShape!), l.Parameters, l.Macs)).Should().Equal(
            ("stem.0", "Conv2d", "1x8x8x8", 8 * 3 * 9 + 8, stemConvMacs),
            ("stem.1", "BatchNorm2d", "1x8x8x8", 16, 0),
            ("stem.2", "ReLU", "1x8x8x8", 0, 0),
            ("down", "Conv2d", "1x16x3x3", 16 * 4 * 9 + 16, downMacs),
            ("flat", "Flatten", "1x144", 0, 0),
            ("fc", "Linear", "1x10", 144 * 10 + 10, fcMacs));
        summary.TotalParameters.Should().Be(224 + 16 + 592 + 1450);
        summary.TrainableParameters.Should().Be(summary.TotalParameters);
        summary.NonTrainableParameters.Should().Be(0);
        summary.TotalMacs.Should().Be(stemConvMacs + downMacs + fcMacs);
        summary.UnobservedLayers.Should().BeEmpty();
        summary.InputShape.Should().Equal(1, 3, 8, 8);
    }

    [Fact]
    public void Macs_are_per_sample_whatever_the_batch()
    {
        using var net = SmallNet();
        var one = net.Summarize(1, 3, 8, 8);
        var four = net.Summarize(4, 3, 8, 8);

        four.Layers.Select(l => l.Macs).Should().Equal(one.Layers.Select(l => l.Macs));
        four.Layers[0].OutputShape.Should().Equal(4, 8, 8, 8);
    }

    [Fact]
    public void Split_attention_radix_2_matches_hand_computed_macs()
    {
        using var block = new SplitAttention(64, options: new SplitAttentionOptions(Radix: 2));
        var summary = block.Summarize(1, 64, 16, 16);

        // conv: 64 -> 128 (64 x radix 2), groups = radix = 2, so every output sees 64/2 channels x 3x3.
        long conv = 128L * 16 * 16 * (64 / 2 * 3 * 3);
        // Attention width: make_divisible(64 * 2 * 0.25, 8, min 32) = 32. fc1: 64 -> 32 (groups 1) on a 1x1 map.
        long fc1 = 32 * 64;
        // fc2: 32 -> 128 (groups 1) on a 1x1 map.
        long fc2 = 128 * 32;
        summary.Layers.Select(l => (l.Name, l.Type, Shape: string.Join("x", l.OutputShape!), l.Parameters, l.Macs)).Should().Equal(
            ("conv", "Conv2d", "1x128x16x16", 128 * 32 * 9, conv),
            ("bn0", "BatchNorm2d", "1x128x16x16", 2 * 128, 0),
            ("fc1", "Conv2d", "1x32x1x1", 32 * 64 + 32, fc1),
            ("bn1", "BatchNorm2d", "1x32x1x1", 2 * 32, 0),
            ("fc2", "Conv2d", "1x128x1x1", 128 * 32 + 128, fc2));
        summary.TotalMacs.Should().Be(9_437_184 + 2_048 + 4_096);
        summary.TotalParameters.Should().Be(block.parameters().Sum(p => p.numel())).And.Be(43_488);
    }

    [Fact]
    public void Split_attention_with_cardinality_2_divides_every_convolution_by_its_groups()
    {
        using var block = new SplitAttention(64, options: new SplitAttentionOptions(Groups: 2, Radix: 2));
        var summary = block.Summarize(1, 64, 8, 8);

        var macs = summary.Layers.ToDictionary(l => l.Name, l => l.Macs);
        macs["conv"].Should().Be(128L * 8 * 8 * (64 / 4 * 3 * 3)); // groups x radix = 4 groups
        macs["fc1"].Should().Be(32 * (64 / 2));                    // 64 -> 32, groups 2
        macs["fc2"].Should().Be(128 * (32 / 2));                   // 32 -> 128, groups 2
    }

    [Fact]
    public void Linear_on_a_sequence_is_charged_for_every_position()
    {
        using var net = nn.Sequential(("proj", nn.Linear(12, 7, hasBias: false)));
        var summary = net.Summarize(2, 5, 12);

        summary.Layers.Should().ContainSingle().Which.Should().Be(new LayerSummary("proj", "Linear", summary.Layers[0].OutputShape, 84, 84, 5 * 12 * 7));
        summary.Layers[0].OutputShape.Should().Equal(2, 5, 7);
    }

    [Fact]
    public void Transposed_and_one_dimensional_convolutions_are_counted_per_tap()
    {
        using var net = nn.Sequential(
            ("up", nn.ConvTranspose2d(4, 6, 2, stride: 2, bias: false)),
            ("flat", nn.Flatten(2)),
            ("mix", nn.Conv1d(6, 10, 5, groups: 2, bias: false)));
        var macs = net.Summarize(1, 4, 3, 3).Layers.ToDictionary(l => l.Name, l => l.Macs);

        // 2x2 kernel at stride 2: every one of the 6x6x6 outputs receives exactly 4 channels x 1 tap,
        // which is the 4x3x3 inputs each scattered through 6 x 2x2 weights.
        macs["up"].Should().Be(6 * 6 * 6 * 4).And.Be(4 * 3 * 3 * (6 * 2 * 2));
        // 36 positions -> 32 with a 5-tap kernel; 10 outputs per position, each over 6/2 channels x 5 taps.
        macs["mix"].Should().Be(10 * 32 * (3 * 5));
    }

    [Fact]
    public void A_bare_leaf_module_is_its_own_root_row()
    {
        using var conv = nn.Conv2d(4, 6, 1, bias: false);
        var summary = conv.Summarize(1, 4, 5, 5);

        var row = summary.Layers.Should().ContainSingle().Subject;
        row.Name.Should().BeEmpty();
        row.Depth.Should().Be(0);
        row.Macs.Should().Be(6 * 5 * 5 * 4);
        summary.ToTable().Should().Contain("(root)");
    }

    [Fact]
    public void Frozen_parameters_are_counted_as_non_trainable()
    {
        using var net = SmallNet();
        foreach (var p in net.named_parameters().Where(p => p.name.StartsWith("stem.")))
            p.parameter.requires_grad = false;
        var summary = net.Summarize(1, 3, 8, 8);

        summary.TotalParameters.Should().Be(2_282);
        summary.NonTrainableParameters.Should().Be(224 + 16);
        summary.TrainableParameters.Should().Be(2_282 - 240);
        summary.Layers.Single(l => l.Name == "stem.0").TrainableParameters.Should().Be(0);
    }

    [Fact]
    public void Grouping_at_depth_1_aggregates_each_top_level_module()
    {
        using var net = SmallNet();
        var groups = net.Summarize(1, 3, 8, 8).GroupByDepth(1);

        groups.Select(g => (g.Name, g.Type, Shape: string.Join("x", g.OutputShape!), g.Parameters, g.Macs)).Should().Equal(
            ("stem", "Sequential", "1x8x8x8", 240, 13_824),
            ("down", "Conv2d", "1x16x3x3", 592, 5_184),
            ("flat", "Flatten", "1x144", 0, 0),
            ("fc", "Linear", "1x10", 1_450, 1_440));
    }

    [Fact]
    public void Training_flags_are_restored_module_by_module_and_hooks_removed()
    {
        using var net = SmallNet();
        net.train();
        var bn = net.named_modules().Single(m => m.name == "stem.1").module;
        bn.eval();

        net.Summarize(1, 3, 8, 8);

        net.named_modules().Where(m => m.name != "stem.1").Should().OnlyContain(m => m.module.training);
        bn.training.Should().BeFalse();
        net.training.Should().BeTrue();
        HookCount(net).Should().Be(0);
    }

    [Fact]
    public void A_failing_forward_still_removes_hooks_and_restores_training()
    {
        using var block = new SplitAttention(64, options: new SplitAttentionOptions(Radix: 2));
        block.train();

        var act = () => block.Summarize(1, 32, 8, 8);

        act.Should().Throw<ArgumentException>().WithMessage("SplitAttention expects 64 input channels, got 32*");
        block.training.Should().BeTrue();
        block.named_modules().Should().OnlyContain(m => m.module.training);
        HookCount(block).Should().Be(0);
    }

    [Fact]
    public void Children_invoked_with_forward_are_reported_as_unobserved()
    {
        using var net = new BypassesHooks();
        var summary = net.Summarize(1, 2, 4, 4);

        summary.UnobservedLayers.Should().Equal("inner");
        var row = summary.Layers.Should().ContainSingle().Subject;
        row.OutputShape.Should().BeNull();
        row.Macs.Should().Be(0);
        row.Parameters.Should().Be(3 * 2 + 3);
        summary.ToTable().Should().Contain("Not observed (no hook fired; MACs may be undercounted): inner");
    }

    [Fact]
    public void A_described_model_lists_its_rows_in_the_order_its_description_runs_them()
    {
        // Defined as first, last, middle; run as first, middle, last, with middle invoked through forward() (no hook fires).
        using var net = new OutOfOrder();
        var summary = net.Summarize(1, 2, 4, 4);

        summary.Layers.Select(l => l.Name).Should().Equal("first", "middle", "last");
        summary.UnobservedLayers.Should().Equal("middle");
        summary.Layers.Select(l => l.OutputShape?.Count).Should().Equal(4, null, 4);
    }

    [Fact]
    public void Summaries_leave_the_module_usable_and_repeatable()
    {
        using var net = SmallNet();
        var first = net.Summarize(1, 3, 8, 8);
        var second = net.Summarize(1, 3, 8, 8);

        second.Layers.Select(l => l.Macs).Should().Equal(first.Layers.Select(l => l.Macs));
        second.TotalMacs.Should().Be(first.TotalMacs);
    }

    [Fact]
    public void Arguments_are_validated()
    {
        using var net = SmallNet();

        FluentActions.Invoking(() => ModelSummarizer.Summarize(null!, 1, 3, 8, 8))
            .Should().Throw<ArgumentNullException>().WithParameterName("module");
        FluentActions.Invoking(() => ModelSummarizer.Summarize(net, null!))
            .Should().Throw<ArgumentNullException>().WithParameterName("inputShape");
        FluentActions.Invoking(() => ModelSummarizer.Summarize(net))
            .Should().Throw<ArgumentException>().WithParameterName("inputShape")
            .WithMessage("inputShape must have at least one dimension, each at least 1 (batch first), got []. (Parameter 'inputShape')");
        FluentActions.Invoking(() => net.Summarize(1, 3, 0, 8))
            .Should().Throw<ArgumentException>().WithParameterName("inputShape")
            .WithMessage("inputShape must have at least one dimension, each at least 1 (batch first), got [1, 3, 0, 8]. (Parameter 'inputShape')");
        var summary = net.Summarize(1, 3, 8, 8);
        FluentActions.Invoking(() => summary.GroupByDepth(0))
            .Should().Throw<ArgumentOutOfRangeException>().WithParameterName("depth")
            .WithMessage("depth must be at least 1, got 0.*");
    }

    /// <summary>Registered hooks (pre and post) on a module and all its descendants, read from TorchSharp's private dictionaries.</summary>
    private static int HookCount(nn.Module root) =>
        root.named_modules().Select(m => m.module).Append(root).Sum(m =>
            new[] { "pre_hooks", "post_hooks" }.Sum(field => ((ICollection)Field(m.GetType(), field).GetValue(m)!).Count));

    private static FieldInfo Field(Type? type, string name)
    {
        for (; type is not null; type = type.BaseType)
            if (type.GetField(name, BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public) is { } field)
                return field;
        throw new MissingFieldException(name);
    }

    /// <summary>Children defined in another order than they run; the middle one is invoked without hooks; described.</summary>
    private sealed class OutOfOrder : nn.Module<Tensor, Tensor>, IDescribedModule
    {
        private readonly TorchSharp.Modules.Conv2d first = nn.Conv2d(2, 3, 1);
        private readonly TorchSharp.Modules.Conv2d last = nn.Conv2d(3, 2, 1);
        private readonly TorchSharp.Modules.Conv2d middle = nn.Conv2d(3, 3, 1);

        public OutOfOrder() : base(nameof(OutOfOrder)) => RegisterComponents();

        public override Tensor forward(Tensor input) => last.call(middle.forward(first.call(input)));

        public GraphValue Describe(ForwardGraph graph, GraphValue input) =>
            graph.Convolution(last, graph.Convolution(middle, graph.Convolution(first, input)));
    }

    /// <summary>A module whose forward calls its child's forward() (which skips hooks) instead of call().</summary>
    private sealed class BypassesHooks : nn.Module<Tensor, Tensor>
    {
        private readonly TorchSharp.Modules.Conv2d inner = nn.Conv2d(2, 3, 1);

        public BypassesHooks() : base(nameof(BypassesHooks)) => RegisterComponents();

        public override Tensor forward(Tensor input) => inner.forward(input);
    }
}
