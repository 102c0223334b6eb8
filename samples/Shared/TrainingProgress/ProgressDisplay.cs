using System;
using System.IO;
using Spectre.Console;

namespace ResNeStBlocks.Samples.Progress;

/// <summary>Runs a training loop with the readout that suits the console: live bars in a terminal, plain lines otherwise.</summary>
public static class ProgressDisplay
{
    /// <summary>Whether standard output is an interactive terminal that can show a live display.</summary>
    public static bool IsLive =>
        !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive && AnsiConsole.Profile.Capabilities.Ansi;

    /// <summary>
    /// Calls <paramref name="train"/> with a writer for headings and summaries and an observer for progress: in a
    /// terminal a Spectre.Console display (one bar per epoch with step, loss, accuracy, images/s and the epoch's ETA)
    /// whose lines appear above the bars; when output is redirected (logs, pipes, CI) plain lines, one per epoch.
    /// </summary>
    /// <typeparam name="T">What the training returns.</typeparam>
    /// <param name="train">The training loop.</param>
    /// <returns>What <paramref name="train"/> returned.</returns>
    public static T Run<T>(Func<TextWriter, ITrainingObserver, T> train)
    {
        ArgumentNullException.ThrowIfNull(train);
        if (!IsLive)
            return train(Console.Out, new PlainTextObserver(Console.Out));
        using var writer = new AnsiConsoleWriter();
        return AnsiConsole.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(),
                new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(context => train(writer, new SpectreObserver(context)));
    }
}
