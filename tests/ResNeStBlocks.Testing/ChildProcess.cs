using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Text;

namespace ResNeStBlocks.Testing;

/// <summary>Runs a command line to completion with a time limit and captures its output.</summary>
public static class ChildProcess
{
    /// <summary>What the process printed and how it ended.</summary>
    public sealed record Outcome(int ExitCode, string Output)
    {
        public override string ToString() => $"exit code {ExitCode}:\n{Output}";
    }

    /// <summary>Runs <c>dotnet</c> with <paramref name="arguments"/> in <paramref name="workingDirectory"/>.</summary>
    /// <exception cref="TimeoutException">It ran past <paramref name="timeout"/> (the process tree was killed).</exception>
    public static Outcome DotNet(string workingDirectory, TimeSpan timeout, params string[] arguments) =>
        DotNet(workingDirectory, timeout, new Dictionary<string, string>(), arguments);

    /// <summary>Runs <c>dotnet</c> with <paramref name="arguments"/> and extra <paramref name="environment"/> variables.</summary>
    /// <exception cref="TimeoutException">It ran past <paramref name="timeout"/> (the process tree was killed).</exception>
    public static Outcome DotNet(string workingDirectory, TimeSpan timeout, IReadOnlyDictionary<string, string> environment, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
            start.ArgumentList.Add(argument);
        // The test host runs under `dotnet test`; a child build must pick its own MSBuild and SDK.
        foreach (string variable in new[] { "MSBuildExtensionsPath", "MSBuildSDKsPath", "MSBUILD_EXE_PATH", "MSBuildLoadMicrosoftTargetsReadOnly", "DOTNET_HOST_PATH" })
            start.Environment.Remove(variable);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        foreach (var (name, value) in environment)
            start.Environment[name] = value;

        var output = new StringBuilder();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            throw new TimeoutException($"dotnet {string.Join(" ", arguments)} ran past {timeout.TotalSeconds} s:\n{output}");
        }
        process.WaitForExit(); // flushes the asynchronous readers
        lock (output)
            return new Outcome(process.ExitCode, output.ToString());
    }
}
