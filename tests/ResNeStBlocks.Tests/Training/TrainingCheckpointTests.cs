using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using FluentAssertions;
using ResNeStBlocks.Backbones;
using ResNeStBlocks.Testing;
using ResNeStBlocks.Training;
using ResNeStBlocks.Weights;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace ResNeStBlocks.Tests.Training;

/// <summary>
/// Resuming from a checkpoint continues the run bit for bit. Runs alone: DropPath draws from torch's global generator,
/// which the checkpoint restores, and parallel tests drawing from it would change the sequence.
/// </summary>
[Collection(IsolatedCollection.Name)]
public sealed class TrainingCheckpointTests : IDisposable
{
    private const int Epochs = 3;
    private const int BatchSize = 8;
    private readonly TempFolder temp = new("checkpoint-tests");

    public void Dispose() => temp.Dispose();

    [Theory]
    [InlineData("sgd")]
    [InlineData("adamw")]
    public void A_run_resumed_after_epoch_2_ends_epoch_3_with_the_uninterrupted_runs_weights(string optimizerName)
    {
        string path = Path.Combine(temp.Path, "last.safetensors");
        using var data = TinyData();
        Dictionary<string, byte[]> expectedModel, expectedEma;

        using (var run = new Run(seed: 1, optimizerName))
        {
            run.Epoch(1, data);
            run.Epoch(2, data);
            TrainingCheckpoint.Save(path, run.Model, run.Optimizer, new CheckpointPosition(2, run.Step, 0.5, 2), run.Ema.Module,
                new Dictionary<string, string> { ["model"] = "tiny" });
            run.Epoch(3, data);
            expectedModel = StateSnapshot.Bytes(run.Model);
            expectedEma = StateSnapshot.Bytes(run.Ema.Module);
        }

        using var resumed = new Run(seed: 2, optimizerName);
        StateSnapshot.Bytes(resumed.Model)["fc.weight"].Should().NotEqual(expectedModel["fc.weight"], "the fresh run starts elsewhere");
        var position = TrainingCheckpoint.Load(path, resumed.Model, resumed.Optimizer, resumed.Ema.Module);
        resumed.Step = position.Step;
        resumed.Epoch(position.Epoch + 1, data);

        position.Should().Be(new CheckpointPosition(2, 2 * data.Steps, 0.5, 2));
        TrainingCheckpoint.ReadMetadata(path)["model"].Should().Be("tiny");
        var actualModel = StateSnapshot.Bytes(resumed.Model);
        var actualEma = StateSnapshot.Bytes(resumed.Ema.Module);
        foreach (var key in expectedModel.Keys)
        {
            actualModel[key].Should().Equal(expectedModel[key], key);
            actualEma[key].Should().Equal(expectedEma[key], key);
        }
    }

    [Fact]
    public void A_failed_save_leaves_the_previous_checkpoint_intact()
    {
        string path = Path.Combine(temp.Path, "best.safetensors");
        using var run = new Run(seed: 3, "sgd");
        TrainingCheckpoint.Save(path, run.Model, run.Optimizer, new CheckpointPosition(1, 3, 0.25, 1));
        byte[] good = File.ReadAllBytes(path);
        // The temporary file cannot be created: the save fails before the rename.
        Directory.CreateDirectory(path + ".tmp");

        FluentActions.Invoking(() => TrainingCheckpoint.Save(path, run.Model, run.Optimizer, new CheckpointPosition(2, 6, 0.5, 2)))
            .Should().Throw<UnauthorizedAccessException>();

        File.ReadAllBytes(path).Should().Equal(good);
        TrainingCheckpoint.ReadPosition(path).Should().Be(new CheckpointPosition(1, 3, 0.25, 1));
    }

    [Fact]
    public void A_partial_file_left_by_an_interrupted_save_is_ignored_and_replaced()
    {
        string path = Path.Combine(temp.Path, "last.safetensors");
        using var run = new Run(seed: 4, "sgd");
        TrainingCheckpoint.Save(path, run.Model, run.Optimizer, new CheckpointPosition(1, 3, 0.25, 1));
        File.WriteAllBytes(path + ".tmp", new byte[] { 1, 2, 3 });

        TrainingCheckpoint.ReadPosition(path).Epoch.Should().Be(1);
        TrainingCheckpoint.Save(path, run.Model, run.Optimizer, new CheckpointPosition(2, 6, 0.5, 2));

        TrainingCheckpoint.ReadPosition(path).Epoch.Should().Be(2);
        File.Exists(path + ".tmp").Should().BeFalse();
    }

    [Fact]
    public void The_weights_alone_load_into_a_fresh_model()
    {
        string path = Path.Combine(temp.Path, "best.safetensors");
        using var run = new Run(seed: 5, "adamw");
        using var data = TinyData();
        run.Epoch(1, data);
        TrainingCheckpoint.Save(path, run.Model, run.Optimizer, new CheckpointPosition(1, run.Step, 0.5, 1), run.Ema.Module);
        using var fresh = new ResNet(TinyTrainingModel.Config());
        using var freshEma = new ResNet(TinyTrainingModel.Config());

        TrainingCheckpoint.LoadWeights(path, fresh).Epoch.Should().Be(1);
        TrainingCheckpoint.LoadWeights(path, freshEma, fromEma: true);

        StateSnapshot.Bytes(fresh).Should().BeEquivalentTo(StateSnapshot.Bytes(run.Model));
        StateSnapshot.Bytes(freshEma).Should().BeEquivalentTo(StateSnapshot.Bytes(run.Ema.Module));
    }

    [Fact]
    public void Mismatched_resumes_fail_clearly_and_change_nothing()
    {
        string path = Path.Combine(temp.Path, "last.safetensors");
        string weights = Path.Combine(temp.Path, "weights.safetensors");
        using var run = new Run(seed: 6, "sgd");
        TrainingCheckpoint.Save(path, run.Model, run.Optimizer, new CheckpointPosition(1, 3, 0.25, 1), run.Ema.Module);
        run.Model.SaveWeights(weights);
        using var other = new Run(seed: 7, "adamw");
        var before = StateSnapshot.Bytes(other.Model);

        FluentActions.Invoking(() => TrainingCheckpoint.Load(path, other.Model, other.Optimizer, other.Ema.Module))
            .Should().Throw<InvalidDataException>()
            .WithMessage($"{path} holds the state of a ResNeStBlocks.Training.Sgd optimizer, not of the ResNeStBlocks.Training.AdamW given; resume with the optimizer the run used.");
        FluentActions.Invoking(() => TrainingCheckpoint.Load(path, run.Model, run.Optimizer))
            .Should().Throw<InvalidDataException>()
            .WithMessage($"{path} holds an EMA of the weights; pass the run's EMA module to resume it.");
        FluentActions.Invoking(() => TrainingCheckpoint.ReadMetadata(weights))
            .Should().Throw<InvalidDataException>()
            .WithMessage($"{weights} is not a training checkpoint (metadata 'format' is 'absent', expected '{TrainingCheckpoint.Format}')*");
        using var wider = new ResNet(TinyTrainingModel.Config() with { NumClasses = 5 });
        FluentActions.Invoking(() => TrainingCheckpoint.LoadWeights(path, wider))
            .Should().Throw<StateDictMismatchException>().WithMessage("*fc.weight: expected shape [5, 8], got [3, 8]*");
        StateSnapshot.Bytes(other.Model).Should().BeEquivalentTo(before);
    }

    private static TinyDataset TinyData()
    {
        var generator = new Generator(42);
        return new TinyDataset(randn(new long[] { 24, 3, 16, 16 }, generator: generator), randint(0, TinyTrainingModel.Classes, new long[] { 24 }, generator: generator));
    }

    private sealed record TinyDataset(Tensor Images, Tensor Labels) : IDisposable
    {
        public int Steps => (int)(Labels.shape[0] / BatchSize);

        public void Dispose()
        {
            Images.Dispose();
            Labels.Dispose();
        }
    }

    /// <summary>A tiny training run with DropPath, label smoothing, a warm-up + cosine schedule and an EMA.</summary>
    private sealed class Run : IDisposable
    {
        private readonly CosineSchedule schedule;

        public Run(int seed, string optimizer)
        {
            manual_seed(seed);
            Model = new ResNet(TinyTrainingModel.Config(dropPathRate: 0.2));
            var groups = WeightDecayGroups.Split(Model);
            Optimizer = optimizer == "sgd" ? groups.CreateSgd(0.1, 1e-4, momentum: 0.9) : groups.CreateAdamW(1e-2, 0.05);
            Ema = ModelEma.For(Model, new EmaOptions(Decay: 0.9, UseWarmup: true));
            schedule = CosineSchedule.PerStep(optimizer == "sgd" ? 0.1 : 1e-2, Epochs, 3, 1, 1e-5, 1e-4);
        }

        public ResNet Model { get; }

        public OptimizerHelper Optimizer { get; }

        public ModelEma<ResNet> Ema { get; }

        public long Step { get; set; }

        public void Epoch(int epoch, TinyDataset data)
        {
            Model.train();
            // The order depends on the epoch alone, so a resumed run sees the same batches.
            using var order = randperm(data.Labels.shape[0], generator: new Generator((ulong)(1000 + epoch)));
            for (int s = 0; s < data.Steps; s++)
            {
                using var scope = NewDisposeScope();
                foreach (var group in Optimizer.ParamGroups)
                    group.LearningRate = schedule.At(Step);
                var indices = order.narrow(0, s * BatchSize, BatchSize);
                Model.zero_grad();
                var loss = nn.functional.cross_entropy(Model.call(data.Images.index_select(0, indices)), data.Labels.index_select(0, indices), label_smoothing: 0.1);
                loss.backward();
                Optimizer.step();
                Step++;
                Ema.Update(Model, Step);
            }
        }

        public void Dispose()
        {
            Ema.Dispose();
            Optimizer.Dispose();
            Model.Dispose();
        }
    }
}
