using System;

namespace ResNeStBlocks.Samples.Progress;

/// <summary>Progress of one optimizer step.</summary>
/// <param name="Epoch">1-based epoch.</param>
/// <param name="Step">1-based step within the epoch.</param>
/// <param name="StepsPerEpoch">Steps in each epoch.</param>
/// <param name="MeanLoss">Mean training loss of the epoch so far.</param>
/// <param name="Accuracy">Training accuracy of the epoch so far, or null for a task without one (detection).</param>
/// <param name="ImagesPerSecond">Training throughput of the epoch so far.</param>
/// <param name="LearningRate">The rate of this step.</param>
public sealed record StepProgress(int Epoch, int Step, int StepsPerEpoch, double MeanLoss, double? Accuracy, double ImagesPerSecond, double LearningRate);

/// <summary>The figures of one epoch.</summary>
/// <param name="Epoch">1-based epoch.</param>
/// <param name="MeanLoss">Mean training loss.</param>
/// <param name="Accuracy">Training accuracy (in train mode, while learning), or null for a task without one (detection).</param>
/// <param name="ImagesPerSecond">Training throughput.</param>
/// <param name="Elapsed">Wall time of the epoch.</param>
/// <param name="Note">More figures to show after the training ones (validation accuracy, say), or null.</param>
public sealed record EpochSummary(int Epoch, double MeanLoss, double? Accuracy, double ImagesPerSecond, TimeSpan Elapsed, string? Note = null);

/// <summary>Receives training progress (a live progress bar, or plain lines for logs).</summary>
public interface ITrainingObserver
{
    /// <summary>An epoch begins.</summary>
    /// <param name="epoch">1-based epoch.</param>
    /// <param name="epochs">Epochs in the run.</param>
    /// <param name="steps">Steps in the epoch.</param>
    void EpochStarted(int epoch, int epochs, int steps);

    /// <summary>A step finished.</summary>
    /// <param name="progress">The running figures.</param>
    void StepFinished(StepProgress progress);

    /// <summary>An epoch finished.</summary>
    /// <param name="summary">The epoch's figures.</param>
    void EpochFinished(EpochSummary summary);
}
