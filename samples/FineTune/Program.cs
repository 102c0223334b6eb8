using System;

namespace ResNeStBlocks.Samples.FineTune;

internal static class Program
{
    private static int Main(string[] args) => FineTuneApp.Execute(args, Console.Out, Console.Error, live: true);
}
