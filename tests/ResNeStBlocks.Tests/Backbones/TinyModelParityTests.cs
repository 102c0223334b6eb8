using System.Collections.Generic;
using System.Linq;
using FluentAssertions;
using ResNeStBlocks.Backbones;
using ResNeStBlocks.Testing;
using ResNeStBlocks.Weights;
using Xunit;
using static TorchSharp.torch;

namespace ResNeStBlocks.Tests.Backbones;

/// <summary>Every models/tiny_* case: whole backbones built with timm's ResNet, compared end to end.</summary>
public class TinyModelParityTests
{
    public static IEnumerable<object[]> ModelCases() => Fixtures.ModelCases();

    [Fact]
    public void All_eight_model_cases_are_present() => ModelCases().Should().HaveCount(8);

    [Theory]
    [MemberData(nameof(ModelCases))]
    public void Keys_shapes_and_parameters_equal_timm(string name)
    {
        var c = Fixtures.Case(name);
        using var model = new ResNet(TimmModules.Config(c));
        model.state_dict().Select(kv => $"{kv.Key} {TensorAssert.Shape(kv.Value.shape)}")
            .Should().BeEquivalentTo(c.StateDict.Select(kv => $"{kv.Key} {TensorAssert.Shape(kv.Shape)}"));
        model.parameters().Sum(p => p.numel()).Should().Be(c.Params);
    }

    [Theory]
    [MemberData(nameof(ModelCases))]
    public void Eval_logits_and_stage_features_equal_timm(string name)
    {
        var (c, model, io) = Load(name);
        using var scope = NewDisposeScope();
        using (model)
        using (no_grad())
        {
            model.eval();
            var (atol, rtol) = Fixtures.Tolerance;
            TensorAssert.Close(model.forward(io["input"]), io["output"], atol, rtol, $"{name} eval logits");
            var stages = model.ForwardStages(io["input"]);
            stages.Should().HaveCount(4);
            for (int i = 0; i < 4; i++)
            {
                TensorAssert.Close(stages[i], io[$"feature_{i}"], atol, rtol, $"{name} feature_{i}");
                stages[i].shape[1].Should().Be(model.FeatureInfo[i].Channels);
                (64 / stages[i].shape[2]).Should().Be(model.FeatureInfo[i].Reduction);
            }
        }
    }

    [Theory]
    [MemberData(nameof(ModelCases))]
    public void Train_logits_equal_timm(string name)
    {
        var (_, model, io) = Load(name);
        using var scope = NewDisposeScope();
        using (model)
        {
            model.train();
            var (atol, rtol) = Fixtures.Tolerance;
            TensorAssert.Close(model.forward(io["input"]), io["output_train"], atol, rtol, $"{name} train logits");
        }
    }

    private static (FixtureCase, ResNet, Dictionary<string, Tensor>) Load(string name)
    {
        var c = Fixtures.Case(name);
        var model = new ResNet(TimmModules.Config(c));
        model.LoadWeights(Fixtures.File("timm", c.WeightsFile));
        var io = SafeTensors.Load(Fixtures.File("timm", c.IoFile));
        return (c, model, io);
    }
}
