using System;
using System.Collections.Generic;
using System.Diagnostics;
using ResNeStBlocks.Samples.Data;
using ResNeStBlocks.Samples.Progress;
using ResNeStBlocks.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ResNeStBlocks.Samples.Training;

/// <summary>What one training step reports, as device tensors the loop sums without waiting for the device.</summary>
/// <param name="Loss">The batch's mean loss (a scalar, detached).</param>
/// <param name="Correct">Correct predictions in the batch (images or pixels; a scalar integer).</param>
/// <param name="Counted">Predictions counted (valid pixels; a scalar integer), or null when each image is one prediction.</param>
public sealed record StepOutcome(Tensor Loss, Tensor Correct, Tensor? Counted = null);

/// <summary>The training half of an epoch, as the loop measured it.</summary>
/// <param name="Epoch">The epoch, from 1.</param>
/// <param name="Loss">Mean training loss per image.</param>
/// <param name="Accuracy">Correct over counted predictions.</param>
/// <param name="ImagesPerSecond">Training throughput.</param>
/// <param name="LearningRate">The rate of the epoch's last step.</param>
/// <param name="Clock">Started with the epoch; still running through evaluation, so a row can record the whole epoch's time.</param>
public sealed record EpochTraining(int Epoch, double Loss, double Accuracy, double ImagesPerSecond, double LearningRate, Stopwatch Clock);

/// <summary>What a sample makes of an epoch after evaluating it.</summary>
/// <typeparam name="TRow">The sample's metrics row.</typeparam>
/// <param name="Row">The row for metrics.csv (elapsed time included).</param>
/// <param name="Metric">The number the best checkpoint is chosen by (higher is better).</param>
/// <param name="Note">The readout's summary of the evaluation.</param>
public sealed record EpochResult<TRow>(TRow Row, double Metric, string Note);

/// <summary>
/// The epoch loop FineTune and Segment share: each epoch trains on every batch (learning rate per optimizer step,
/// EMA update, progress), evaluates, saves the last checkpoint and, when the metric improved, the best one, and rewrites
/// metrics.csv and the chart from all rows so far. A resumed run starts from the checkpoint's position and rows and
/// continues the same sequence of steps.
/// </summary>
/// <typeparam name="TModule">The model's type.</typeparam>
/// <typeparam name="TItem">The training set's items.</typeparam>
/// <typeparam name="TRow">The sample's metrics row.</typeparam>
public sealed class EpochLoop<TModule, TItem, TRow> where TModule : nn.Module
{
    private static readonly Scalar AddAlpha = 1;

    /// <summary>The model being trained.</summary>
    public required TModule Model { get; init; }

    /// <summary>The optimizer whose rate the loop sets and whose state the checkpoints keep.</summary>
    public required OptimizerHelper Optimizer { get; init; }

    /// <summary>The weight average, or null.</summary>
    public ModelEma<TModule>? Ema { get; init; }

    /// <summary>The training batches.</summary>
    public required BatchLoader<TItem> TrainBatches { get; init; }

    /// <summary>The learning rate at an optimizer step (steps counted from 0).</summary>
    public required Func<long, double> LearningRate { get; init; }

    /// <summary>Runs one optimizer step on a batch already on the device: (images, targets) to the step's outcome.</summary>
    public required Func<Tensor, Tensor, StepOutcome> Step { get; init; }

    /// <summary>Evaluates the epoch (the model and the average) and builds its row.</summary>
    public required Func<EpochTraining, EpochResult<TRow>> Evaluate { get; init; }

    /// <summary>Writes metrics.csv and the chart from every row so far.</summary>
    public required Action<IReadOnlyList<TRow>> WriteMetrics { get; init; }

    /// <summary>The run's output folder, where the last and the best checkpoint go (<see cref="CheckpointFiles"/>).</summary>
    public required string OutputDirectory { get; init; }

    /// <summary>What the checkpoints record about the run, which a resume must match.</summary>
    public required IReadOnlyDictionary<string, string> Metadata { get; init; }

    /// <summary>Receives progress.</summary>
    public required ITrainingObserver Observer { get; init; }

    /// <summary>The device the model is on.</summary>
    public required Device Device { get; init; }

    /// <summary>Trains from <paramref name="start"/> (a fresh run's, or a resumed checkpoint's) to <paramref name="epochs"/>.</summary>
    /// <param name="start">Where the run stands: epoch and step done, best metric and its epoch.</param>
    /// <param name="rows">The rows of the epochs done (read back from metrics.csv on resume); the loop appends to it.</param>
    /// <param name="epochs">The last epoch.</param>
    /// <returns>Where the run stands at the end.</returns>
    public CheckpointPosition Run(CheckpointPosition start, List<TRow> rows, int epochs)
    {
        ArgumentNullException.ThrowIfNull(start);
        ArgumentNullException.ThrowIfNull(rows);
        var position = start;
        long step = position.Step;
        int steps = TrainBatches.BatchCount;
        for (int epoch = position.Epoch + 1; epoch <= epochs; epoch++)
        {
            var training = TrainEpoch(epoch, epochs, steps, ref step);
            var result = Evaluate(training);
            bool improved = result.Metric > position.BestMetric;
            position = new CheckpointPosition(epoch, step, improved ? result.Metric : position.BestMetric, improved ? epoch : position.BestEpoch);
            TrainingCheckpoint.Save(CheckpointFiles.Last(OutputDirectory), Model, Optimizer, position, Ema?.Module, Metadata);
            if (improved)
                TrainingCheckpoint.Save(CheckpointFiles.Best(OutputDirectory), Model, Optimizer, position, Ema?.Module, Metadata);
            rows.Add(result.Row);
            WriteMetrics(rows);
            Observer.EpochFinished(new EpochSummary(epoch, training.Loss, training.Accuracy, training.ImagesPerSecond, training.Clock.Elapsed,
                result.Note + (improved ? "  best" : "")));
        }
        return position;
    }

    private EpochTraining TrainEpoch(int epoch, int epochs, int steps, ref long step)
    {
        var clock = Stopwatch.StartNew();
        Model.train();
        Observer.EpochStarted(epoch, epochs, steps);
        using var lossSum = zeros(1, ScalarType.Float64, Device);
        using var correct = zeros(1, ScalarType.Int64, Device);
        using var counted = zeros(1, ScalarType.Int64, Device);
        long seen = 0, countedImages = 0;
        int s = 0;
        double rate = 0;
        foreach (var batch in TrainBatches.Epoch(epoch))
        {
            using var owned = batch;
            using var scope = NewDisposeScope();
            rate = LearningRate(step);
            foreach (var group in Optimizer.ParamGroups)
                group.LearningRate = rate;
            var outcome = Step(batch.Inputs.to(Device), batch.Targets.to(Device));
            step++;
            Ema?.Update(Model, step);
            using (Scalar batchSize = batch.Count)
                lossSum.add_(outcome.Loss.to(ScalarType.Float64), alpha: batchSize);
            correct.add_(outcome.Correct, AddAlpha);
            if (outcome.Counted is { } predictions)
                counted.add_(predictions, AddAlpha);
            else
                countedImages += batch.Count;
            seen += batch.Count;
            s++;
            // Reading the sums back waits for the device: every step on the CPU (free), every 20th on a GPU.
            if (Device.type == DeviceType.CPU || s % 20 == 0 || s == steps)
                Observer.StepFinished(new StepProgress(epoch, s, steps, lossSum.item<double>() / seen,
                    (double)correct.item<long>() / Math.Max(1, countedImages + counted.item<long>()), seen / clock.Elapsed.TotalSeconds, rate));
        }
        double loss = lossSum.cpu().item<double>() / seen;
        double accuracy = (double)correct.cpu().item<long>() / Math.Max(1, countedImages + counted.cpu().item<long>());
        return new EpochTraining(epoch, loss, accuracy, seen / clock.Elapsed.TotalSeconds, rate, clock);
    }
}
