using System;
using System.Collections.Generic;
using System.IO;
using ResNeStBlocks.Backbones;
using ResNeStBlocks.Samples.Training;

namespace ResNeStBlocks.Samples.FineTune;

/// <summary>What a fine-tuning run did and where its files are.</summary>
/// <param name="Classes">Class names, in label order.</param>
/// <param name="TrainImages">Training images used.</param>
/// <param name="ValImages">Validation images used.</param>
/// <param name="SkippedFiles">Files left out because they are not readable images.</param>
/// <param name="Config">The trained architecture (rebuild it with <c>new ResNet(Config)</c> to load a checkpoint).</param>
/// <param name="Epochs">One row per epoch, including epochs before a resume.</param>
/// <param name="BestEpoch">The epoch of <see cref="BestCheckpoint"/>.</param>
/// <param name="BestFromEma">Whether the best checkpoint's evaluated weights are the EMA's.</param>
/// <param name="Best">Validation of the best checkpoint's evaluated weights (with its confusion matrix).</param>
/// <param name="OutputDirectory">Where the files are.</param>
/// <param name="Elapsed">Wall time of the run.</param>
public sealed record FineTuneResult(IReadOnlyList<string> Classes, int TrainImages, int ValImages, int SkippedFiles, ResNetConfig Config,
    IReadOnlyList<EpochMetrics> Epochs, int BestEpoch, bool BestFromEma, EvaluationResult Best, string OutputDirectory, TimeSpan Elapsed)
{
    /// <summary>The ONNX file of the best checkpoint (<c>--export-onnx</c>); null when none was asked for.</summary>
    public string? OnnxPath { get; init; }

    /// <summary>The checkpoint of the last epoch (resume from it with <c>--resume</c>).</summary>
    public string LastCheckpoint => LastPath(OutputDirectory);

    /// <summary>The checkpoint of the best validation top-1.</summary>
    public string BestCheckpoint => BestPath(OutputDirectory);

    /// <summary><c>metrics.csv</c>.</summary>
    public string MetricsPath => Path.Combine(OutputDirectory, "metrics.csv");

    /// <summary>The loss and accuracy chart.</summary>
    public string TrainingChartPath => Path.Combine(OutputDirectory, "training.png");

    /// <summary>The confusion matrix of the best checkpoint.</summary>
    public string ConfusionChartPath => Path.Combine(OutputDirectory, "confusion.png");

    /// <summary>Where the last checkpoint of a run writing to <paramref name="directory"/> goes.</summary>
    /// <param name="directory">The output folder.</param>
    /// <returns>The path.</returns>
    public static string LastPath(string directory) => CheckpointFiles.Last(directory);

    /// <summary>Where the best checkpoint of a run writing to <paramref name="directory"/> goes.</summary>
    /// <param name="directory">The output folder.</param>
    /// <returns>The path.</returns>
    public static string BestPath(string directory) => CheckpointFiles.Best(directory);
}
