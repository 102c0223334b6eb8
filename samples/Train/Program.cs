using System;
using ResNeStBlocks.Samples.Progress;

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

        // A training process: keep libtorch's freed buffers in the process instead of faulting them in again every step.
        ResNeStBlocks.Runtime.GlibcAllocator.KeepFreedMemory();

        // A live progress bar in a terminal; plain lines when the output is redirected (logs, pipes, CI).
        ProgressDisplay.Run((output, observer) => TrainApp.Run(options, output, observer));
        return 0;
    }
}
