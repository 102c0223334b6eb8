using System;
using System.IO;

namespace ResNeStBlocks.Samples.CommandLine;

/// <summary>How the training samples answer a user's mistake: one line that says what is wrong and what to do, and exit code 2.</summary>
public static class CommandLineErrors
{
    /// <summary>The exit code of a user error (bad options, unusable data, mismatched weights, an unreachable Hub).</summary>
    public const int ExitCode = 2;

    /// <summary>Writes <c>error: MESSAGE</c> (and, when asked, the pointer to <c>--help</c>) and returns <see cref="ExitCode"/>.</summary>
    /// <param name="exception">The error; an <see cref="ArgumentException"/>'s " (Parameter 'name')" suffix is left out, as it names a C# parameter, not an option.</param>
    /// <param name="error">Where the line goes.</param>
    /// <param name="pointToHelp">Add "Run with --help for usage." (for mistakes in the options or the data, not for network failures).</param>
    /// <returns><see cref="ExitCode"/>.</returns>
    public static int Report(Exception exception, TextWriter error, bool pointToHelp = true)
    {
        ArgumentNullException.ThrowIfNull(exception);
        ArgumentNullException.ThrowIfNull(error);
        string message = exception.Message;
        if (exception is ArgumentException { ParamName: { } name } && message.EndsWith($" (Parameter '{name}')", StringComparison.Ordinal))
            message = message[..^$" (Parameter '{name}')".Length];
        error.WriteLine($"error: {message}");
        if (pointToHelp)
            error.WriteLine("Run with --help for usage.");
        return ExitCode;
    }
}
