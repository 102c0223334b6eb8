using System;
using System.IO;
using System.Linq;
using FluentAssertions;
using ResNeStBlocks.Weights;
using ResNeStBlocks.Zoo;
using Xunit;
using static TorchSharp.torch;
using ResNeStBlocks.Testing;

namespace ResNeStBlocks.Tests.Backbones;

public class WeightsRoundTripTests : IDisposable
{
    private readonly TempFolder temp = new("weights-roundtrip");

    public void Dispose() => temp.Dispose();

    private static bool Same(Tensor a, Tensor b) => a.eq(b).all().item<bool>();

    [Fact]
    public void Save_then_load_reproduces_outputs_bit_for_bit()
    {
        using var scope = NewDisposeScope();
        using var source = ModelZoo.Create("resnest14d", 10);
        using var target = ModelZoo.Create("resnest14d", 10);
        // Make the BatchNorm statistics non-trivial so the buffers matter.
        source.train();
        using (no_grad()) source.forward(randn(4, 3, 64, 64));
        string path = Path.Combine(temp.Path, "model.safetensors");
        source.SaveWeights(path);
        target.LoadWeights(path);
        source.eval();
        target.eval();
        using var _ = no_grad();
        var input = randn(2, 3, 64, 64);
        target.forward(input).bytes.ToArray().Should().Equal(source.forward(input).bytes.ToArray());
        SafeTensors.ReadHeader(path).Entries.Select(e => e.Key).Should().BeEquivalentTo(source.state_dict().Keys);
    }

    [Fact]
    public void Another_class_count_loads_with_head_skipping_and_fails_clearly_without()
    {
        using var scope = NewDisposeScope();
        using var imagenet = ModelZoo.Create("resnest14d", 1000);
        string path = Path.Combine(temp.Path, "imagenet.safetensors");
        imagenet.SaveWeights(path);

        using var finetune = ModelZoo.Create("resnest14d", 5);
        var fcBefore = finetune.state_dict()["fc.weight"].clone();
        FluentActions.Invoking(() => finetune.LoadWeights(path))
            .Should().Throw<StateDictMismatchException>()
            .WithMessage("*fc.weight: expected shape [5, 2048], got [1000, 2048]*fc.bias: expected shape [5], got [1000]*");
        Same(finetune.state_dict()["fc.weight"], fcBefore).Should().BeTrue("a failed load changes nothing");

        var result = finetune.LoadWeights(path, skipClassifier: true);
        result.SkippedKeys.Should().BeEquivalentTo("fc.weight", "fc.bias");
        result.MissingKeys.Should().BeEmpty();
        result.UnexpectedKeys.Should().BeEmpty();
        Same(finetune.state_dict()["conv1.0.weight"], imagenet.state_dict()["conv1.0.weight"]).Should().BeTrue();
        Same(finetune.state_dict()["fc.weight"], fcBefore).Should().BeTrue("the new head keeps its initialisation");
    }

    [Fact]
    public void A_headless_backbone_returns_pooled_features()
    {
        using var scope = NewDisposeScope();
        using var backbone = ModelZoo.Create("resnest14d", 0);
        backbone.state_dict().Keys.Should().NotContain(k => k.StartsWith("fc."));
        backbone.eval();
        using var _ = no_grad();
        backbone.forward(randn(2, 3, 64, 64)).shape.Should().Equal(2, 2048);
    }
}
