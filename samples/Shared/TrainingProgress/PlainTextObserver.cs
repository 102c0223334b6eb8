using System.Globalization;
using System.IO;

namespace ResNeStBlocks.Samples.Progress;

/// <summary>One plain line per epoch: for logs, pipes and tests (no ANSI escape codes).</summary>
public sealed class PlainTextObserver : ITrainingObserver
{
    private readonly TextWriter output;
    private int epochs;
    private double learningRate;

    /// <summary>Creates the observer.</summary>
    /// <param name="output">Where the lines go.</param>
    public PlainTextObserver(TextWriter output) => this.output = output;

    /// <inheritdoc />
    public void EpochStarted(int epoch, int epochs, int steps) => this.epochs = epochs;

    /// <inheritdoc />
    public void StepFinished(StepProgress progress) => learningRate = progress.LearningRate;

    /// <inheritdoc />
    public void EpochFinished(EpochSummary summary) =>
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"epoch {summary.Epoch.ToString().PadLeft(epochs.ToString().Length)}/{epochs}  loss {summary.MeanLoss:0.0000}  {(summary.Accuracy is { } accuracy ? string.Create(CultureInfo.InvariantCulture, $"train acc {accuracy:0.0%}  ") : "")}lr {learningRate:0.0000}  {summary.ImagesPerSecond:0} img/s  {summary.Elapsed.TotalSeconds:0.0} s{(summary.Note is null ? "" : "  " + summary.Note)}"));
}
