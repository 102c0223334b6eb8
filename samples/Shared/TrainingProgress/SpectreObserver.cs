using System.Globalization;
using Spectre.Console;

namespace ResNeStBlocks.Samples.Progress;

/// <summary>A live progress bar per epoch (Spectre.Console), for interactive terminals.</summary>
public sealed class SpectreObserver : ITrainingObserver
{
    private readonly ProgressContext context;
    private ProgressTask? task;
    private int epochs;

    /// <summary>Creates the observer inside <c>AnsiConsole.Progress().Start(...)</c>.</summary>
    /// <param name="context">The running progress display.</param>
    public SpectreObserver(ProgressContext context) => this.context = context;

    /// <inheritdoc />
    public void EpochStarted(int epoch, int epochs, int steps)
    {
        this.epochs = epochs;
        task = context.AddTask(Label(epoch, "starting"), maxValue: steps);
    }

    /// <inheritdoc />
    public void StepFinished(StepProgress progress)
    {
        if (task is null)
            return;
        task.Description = Label(progress.Epoch, string.Create(CultureInfo.InvariantCulture,
            $"step {progress.Step}/{progress.StepsPerEpoch}  loss {progress.MeanLoss:0.0000}  {Accuracy(progress.Accuracy)}{progress.ImagesPerSecond,5:0} img/s  lr {progress.LearningRate:0.0000}"));
        task.Value = progress.Step;
    }

    /// <inheritdoc />
    public void EpochFinished(EpochSummary summary)
    {
        if (task is null)
            return;
        task.Description = Label(summary.Epoch, string.Create(CultureInfo.InvariantCulture,
            $"loss {summary.MeanLoss:0.0000}  {Accuracy(summary.Accuracy)}{summary.ImagesPerSecond,5:0} img/s{(summary.Note is null ? "" : "  " + summary.Note)}"));
        task.Value = task.MaxValue;
        task.StopTask();
    }

    /// <summary>The accuracy column, absent for a task without an accuracy.</summary>
    private static string Accuracy(double? accuracy) =>
        accuracy is { } value ? string.Create(CultureInfo.InvariantCulture, $"acc {value,6:0.0%}  ") : "";

    private string Label(int epoch, string text) =>
        Markup.Escape($"epoch {epoch.ToString(CultureInfo.InvariantCulture).PadLeft(epochs.ToString(CultureInfo.InvariantCulture).Length)}/{epochs}  {text}");
}
