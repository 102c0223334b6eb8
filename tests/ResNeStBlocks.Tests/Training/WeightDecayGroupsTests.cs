using System;
using System.Linq;
using FluentAssertions;
using ResNeStBlocks.Backbones;
using ResNeStBlocks.Training;
using Xunit;

namespace ResNeStBlocks.Tests.Training;

public sealed class WeightDecayGroupsTests
{
    [Fact]
    public void Norms_and_biases_get_no_decay_and_weights_do()
    {
        using var model = new ResNet(TinyTrainingModel.Config());

        var groups = WeightDecayGroups.Split(model);

        groups.NoDecay.Select(p => p.Name).Should().Equal(
            "bn1.weight", "bn1.bias",
            "layer1.0.bn1.weight", "layer1.0.bn1.bias", "layer1.0.bn2.weight", "layer1.0.bn2.bias",
            "layer1.0.downsample.1.weight", "layer1.0.downsample.1.bias",
            "layer2.0.bn1.weight", "layer2.0.bn1.bias", "layer2.0.bn2.weight", "layer2.0.bn2.bias",
            "layer2.0.downsample.1.weight", "layer2.0.downsample.1.bias",
            "fc.bias");
        groups.Decay.Select(p => p.Name).Should().Equal(
            "conv1.weight",
            "layer1.0.conv1.weight", "layer1.0.conv2.weight", "layer1.0.downsample.0.weight",
            "layer2.0.conv1.weight", "layer2.0.conv2.weight", "layer2.0.downsample.0.weight",
            "fc.weight");
        (groups.NoDecay.Count + groups.Decay.Count).Should().Be(model.parameters().Count());
    }

    [Fact]
    public void Named_and_frozen_parameters_are_honoured()
    {
        using var model = new ResNet(TinyTrainingModel.Config());
        foreach (var (name, parameter) in model.named_parameters())
            parameter.requires_grad = name.StartsWith("fc.", StringComparison.Ordinal);

        var groups = WeightDecayGroups.Split(model, new[] { "fc.weight" });

        groups.NoDecay.Select(p => p.Name).Should().Equal("fc.weight", "fc.bias");
        groups.Decay.Should().BeEmpty();
    }

    [Fact]
    public void The_optimizers_carry_zero_decay_on_the_first_group()
    {
        using var model = new ResNet(TinyTrainingModel.Config());
        var groups = WeightDecayGroups.Split(model);

        using var sgd = groups.CreateSgd(0.1, 5e-4, momentum: 0.9);
        using var adamw = groups.CreateAdamW(1e-3, 0.05);

        var sgdGroups = sgd.ParamGroups.Cast<Sgd.ParamGroup>().ToList();
        sgdGroups.Select(g => g.Options.WeightDecay).Should().Equal(0, 5e-4);
        sgdGroups.Select(g => g.Options.Momentum).Should().Equal(0.9, 0.9);
        sgdGroups.Select(g => g.Parameters.Count()).Should().Equal(groups.NoDecay.Count, groups.Decay.Count);
        adamw.ParamGroups.Cast<AdamW.ParamGroup>().Select(g => g.Options.WeightDecay).Should().Equal(0, 0.05);
        adamw.ParamGroups.Select(g => g.LearningRate).Should().Equal(1e-3, 1e-3);
        FluentActions.Invoking(() => groups.CreateSgd(0, 0)).Should().Throw<ArgumentOutOfRangeException>()
            .WithMessage("learningRate must be positive and finite, got 0.*");
    }
}
