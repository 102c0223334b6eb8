using System;
using ResNeStBlocks.Hub;
using Spectre.Console;

namespace ResNeStBlocks.Samples.Progress;

/// <summary>A live progress bar with size, rate and time left (Spectre.Console), for interactive terminals.</summary>
public sealed class SpectreDownloadDisplay : IDownloadDisplay
{
    /// <inheritdoc />
    /// <remarks>The bar's row has room for the description only; <paramref name="destination"/> is for the plain lines.</remarks>
    public string Show(string description, string destination, Func<IProgress<HubDownloadProgress>, string> download) =>
        AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(),
                new DownloadedColumn(), new TransferSpeedColumn(), new RemainingTimeColumn())
            .Start(context =>
            {
                var task = context.AddTask(Markup.Escape(description), maxValue: 1);
                string path = download(new Bar(task));
                task.Value = task.MaxValue;
                task.StopTask();
                return path;
            });

    private sealed class Bar : IProgress<HubDownloadProgress>
    {
        private readonly ProgressTask task;

        public Bar(ProgressTask task) => this.task = task;

        public void Report(HubDownloadProgress value)
        {
            task.MaxValue = Math.Max(value.TotalBytes, 1);
            task.Value = value.BytesDone;
        }
    }
}
