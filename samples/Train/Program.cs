using System;
using System.IO;
using Spectre.Console;

namespace ResNeStBlocks.Samples.Train;

internal static class Program
{
    private static int Main(string[] args)
    {
        TrainOptions? options;
        try
        {
            options = TrainOptions.Parse(args);
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            Console.Error.WriteLine("Run with --help for usage.");
            return 2;
        }
        if (options is null)
        {
            Console.WriteLine(TrainOptions.Usage);
            return 0;
        }

        // Before any display: the first convolutions may make libtorch print warnings to stderr.
        ResNeStBlocks.Runtime.NativeRuntime.VerifyCpuConvolution();

        // A live progress bar in a terminal; plain lines when the output is redirected (logs, pipes, CI).
        bool live = !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive && AnsiConsole.Profile.Capabilities.Ansi;
        if (!live)
        {
            TrainApp.Run(options, Console.Out);
            return 0;
        }
        using var writer = new AnsiConsoleWriter();
        AnsiConsole.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(context => TrainApp.Run(options, writer, new SpectreObserver(context)));
        return 0;
    }
}
