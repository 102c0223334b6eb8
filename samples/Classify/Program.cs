using System;
using ResNeStBlocks.Samples.Progress;
using Spectre.Console;

namespace ResNeStBlocks.Samples.Classify;

internal static class Program
{
    private static int Main(string[] args)
    {
        // A live download bar in a terminal; plain lines on standard error when the output is redirected (logs, pipes, CI).
        bool live = !Console.IsErrorRedirected && AnsiConsole.Profile.Capabilities.Interactive && AnsiConsole.Profile.Capabilities.Ansi;
        return ClassifyApp.Execute(args, Console.Out, Console.Error, live ? new SpectreDownloadDisplay() : new PlainDownloadDisplay(Console.Error));
    }
}
