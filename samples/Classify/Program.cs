using System;

namespace ResNeStBlocks.Samples.Classify;

internal static class Program
{
    private static int Main(string[] args) => ClassifyApp.Execute(args, Console.Out, Console.Error);
}
