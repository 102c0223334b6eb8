using System;
using System.Linq;
using FluentAssertions;
using ResNeStBlocks.Backbones;
using ResNeStBlocks.Samples.Train;
using ResNeStBlocks.Testing;
using Xunit;

namespace ResNeStBlocks.Samples.Tests;

/// <summary>The Train sample learns its synthetic task, and what it saves is the model it evaluated.</summary>
[Collection(IsolatedCollection.Name)]
public sealed class TrainTests : IClassFixture<ShortTrainingRun>
{
    private readonly ShortTrainingRun run;

    public TrainTests(ShortTrainingRun run) => this.run = run;

    [Fact]
    public void The_training_loss_falls()
    {
        var epochs = run.Result.Epochs;
        epochs.Should().HaveCount(run.Options.Epochs);
        epochs.Should().OnlyContain(e => double.IsFinite(e.MeanLoss));
        epochs[^1].MeanLoss.Should().BeLessThan(epochs[0].MeanLoss - 0.15, run.Output);
    }

    [Fact]
    public void Held_out_accuracy_is_far_above_chance()
    {
        double chance = 1.0 / ShapesDataset.NumClasses;
        run.Result.HeldOutPredictions.Should().HaveCount(run.Options.TestSize);
        run.Result.HeldOutAccuracy.Should().BeGreaterThanOrEqualTo(2 * chance, run.Output);
    }

    [Fact]
    public void The_saved_weights_reproduce_the_held_out_predictions()
    {
        using var model = new ResNet(run.Result.Config);
        model.LoadWeights(run.Result.WeightsPath, strict: true);
        using var heldOut = ShapesDataset.Generate(run.Options.TestSize, run.Options.ImageSize, run.Options.HeldOutSeed);

        var predictions = TrainApp.Predict(model, heldOut.Images);

        predictions.Should().Equal(run.Result.HeldOutPredictions);
    }

    [Fact]
    public void Redirected_output_is_plain_lines_without_escape_codes()
    {
        run.Output.Should().NotContain("\u001b");
        var lines = run.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines.Count(l => l.StartsWith("epoch ", StringComparison.Ordinal)).Should().Be(run.Options.Epochs);
        run.Output.Should().Contain("held-out accuracy: ").And.Contain("weights: " + run.Result.WeightsPath);
    }
}
