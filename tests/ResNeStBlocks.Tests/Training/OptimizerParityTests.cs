using System;
using System.Linq;
using FluentAssertions;
using ResNeStBlocks.Backbones;
using ResNeStBlocks.Testing;
using ResNeStBlocks.Training;
using TorchAdamW = TorchSharp.Modules.AdamW;
using TorchSgd = TorchSharp.Modules.SGD;
using TorchSharp;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace ResNeStBlocks.Tests.Training;

/// <summary>
/// The library's <see cref="Sgd"/> and <see cref="AdamW"/> against TorchSharp's <c>optim.SGD</c> and <c>optim.AdamW</c>
/// (which follow <c>torch.optim</c>): two copies of one model, the same batches, a per-step cosine schedule and timm's two
/// weight-decay groups, 100 steps each.
/// </summary>
/// <remarks>Runs alone: TorchSharp's optimizers pass temporary scalars, which other tests' GC pressure could break.</remarks>
[Collection(IsolatedCollection.Name)]
public sealed class OptimizerParityTests
{
    private const int Steps = 100;
    private readonly ITestOutputHelper output;

    public OptimizerParityTests(ITestOutputHelper output) => this.output = output;

    [Theory]
    [InlineData("sgd")]
    [InlineData("sgd momentum dampening decay")]
    [InlineData("sgd nesterov decay")]
    [InlineData("adamw")]
    [InlineData("adamw decay")]
    public void Equals_torch_optim_step_for_step_over_100_steps(string setting)
    {
        manual_seed(11);
        using var ours = new ResNet(TinyTrainingModel.Config());
        using var theirs = new ResNet(TinyTrainingModel.Config());
        using (no_grad())
        {
            foreach (var ((_, target), (_, source)) in theirs.named_parameters().Zip(ours.named_parameters()))
                target.copy_(source);
        }
        var ourGroups = WeightDecayGroups.Split(ours);
        var theirGroups = WeightDecayGroups.Split(theirs);
        double rate = setting.StartsWith("adamw", StringComparison.Ordinal) ? 1e-2 : 0.1;
        double decay = setting.EndsWith("decay", StringComparison.Ordinal) ? 0.05 : 0;
        var (library, reference) = Create(setting, ourGroups, theirGroups, rate, decay);
        using var _ = library;
        using var __ = reference;
        var schedule = CosineSchedule.PerStep(rate, 1, Steps, 0, minRate: rate / 100, warmupInitialRate: rate / 10);

        var generator = new Generator(5);
        double worst = 0;
        for (int step = 0; step < Steps; step++)
        {
            using var scope = NewDisposeScope();
            var images = randn(new long[] { 6, 3, 16, 16 }, generator: generator);
            var labels = randint(0, TinyTrainingModel.Classes, new long[] { 6 }, generator: generator);
            foreach (var (model, optimizer) in new (nn.Module<Tensor, Tensor>, optim.Optimizer)[] { (ours, library), (theirs, reference) })
            {
                foreach (var group in optimizer.ParamGroups)
                    group.LearningRate = schedule.At(step);
                model.zero_grad();
                nn.functional.cross_entropy(model.call(images), labels).backward();
                optimizer.step();
            }
            worst = Math.Max(worst, ours.parameters().Zip(theirs.parameters())
                .Max(p => (p.First - p.Second).abs().max().item<float>()));
        }

        output.WriteLine($"{setting}: largest parameter difference over {Steps} steps {worst:G3}");
        worst.Should().BeLessThanOrEqualTo(1e-6);
    }

    [Fact]
    public void Settings_out_of_range_are_refused_with_the_rule()
    {
        using var model = new ResNet(TinyTrainingModel.Config());
        var parameters = model.parameters().ToList();

        FluentActions.Invoking(() => new Sgd(parameters, 0.1, nesterov: true)).Should().Throw<ArgumentException>()
            .WithMessage("Nesterov momentum needs a positive momentum and no dampening, got momentum 0 and dampening 0. (Parameter 'nesterov')");
        FluentActions.Invoking(() => new Sgd(parameters, -1)).Should().Throw<ArgumentOutOfRangeException>()
            .WithMessage("learningRate must be positive and finite, got -1.*");
        FluentActions.Invoking(() => new Sgd(parameters, 0.1, momentum: -0.5)).Should().Throw<ArgumentOutOfRangeException>()
            .WithMessage("momentum must be 0 or more and finite, got -0.5.*");
        FluentActions.Invoking(() => new AdamW(parameters, beta2: 1)).Should().Throw<ArgumentOutOfRangeException>()
            .WithMessage("beta2 must be in [0, 1), got 1.*");
        FluentActions.Invoking(() => new AdamW(new[] { new AdamW.ParamGroup(parameters, weightDecay: double.NaN) })).Should().Throw<ArgumentOutOfRangeException>()
            .WithMessage("weightDecay must be 0 or more and finite, got NaN.*");
    }

    private static (optim.Optimizer Library, optim.Optimizer Reference) Create(string setting, WeightDecayGroups ours, WeightDecayGroups theirs,
        double rate, double decay)
    {
        var ourNoDecay = ours.NoDecay.Select(p => p.Parameter).ToList();
        var ourDecay = ours.Decay.Select(p => p.Parameter).ToList();
        var theirNoDecay = theirs.NoDecay.Select(p => p.Parameter).ToList();
        var theirDecay = theirs.Decay.Select(p => p.Parameter).ToList();
        if (setting.StartsWith("adamw", StringComparison.Ordinal))
        {
            return (ours.CreateAdamW(rate, decay),
                optim.AdamW(new[]
                {
                    new TorchAdamW.ParamGroup(theirNoDecay, new TorchAdamW.Options { LearningRate = rate, weight_decay = 0 }),
                    new TorchAdamW.ParamGroup(theirDecay, new TorchAdamW.Options { LearningRate = rate, weight_decay = decay }),
                }, rate, 0.9, 0.999, 1e-8, decay));
        }
        double momentum = setting == "sgd" ? 0 : 0.9;
        double dampening = setting.Contains("dampening", StringComparison.Ordinal) ? 0.1 : 0;
        bool nesterov = setting.Contains("nesterov", StringComparison.Ordinal);
        var library = new Sgd(new[]
        {
            new Sgd.ParamGroup(ourNoDecay, weightDecay: 0),
            new Sgd.ParamGroup(ourDecay, weightDecay: decay),
        }, rate, momentum, dampening, decay, nesterov);
        var reference = optim.SGD(new[]
        {
            new TorchSgd.ParamGroup(theirNoDecay, rate, momentum, dampening, weight_decay: 0, nesterov: nesterov),
            new TorchSgd.ParamGroup(theirDecay, rate, momentum, dampening, weight_decay: decay, nesterov: nesterov),
        }, rate, momentum, dampening, decay, nesterov);
        return (library, reference);
    }
}
