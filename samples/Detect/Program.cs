using System;
using ResNeStBlocks.Runtime;

namespace ResNeStBlocks.Samples.Detect;

internal static class Program
{
    private static int Main(string[] args)
    {
        // A training process: keep libtorch's freed buffers in the process instead of faulting them in again every step.
        GlibcAllocator.KeepFreedMemory();
        return DetectApp.Execute(args, Console.Out, Console.Error, live: true);
    }
}
