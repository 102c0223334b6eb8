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

        // Before any display: the first convolutions may make libtorch print warnings to stderr.
        ResNeStBlocks.Runtime.NativeRuntime.VerifyCpuConvolution();

        // A live progress bar in a terminal; plain lines when the output is redirected (logs, pipes, CI).
        ProgressDisplay.Run((output, observer) => TrainApp.Run(options, output, observer));
        return 0;
    }
}
