using System;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text.RegularExpressions;
using FluentAssertions;
using Microsoft.ML.OnnxRuntime;
using ResNeStBlocks.Testing;
using Xunit;

namespace ResNeStBlocks.Samples.Tests;

/// <summary>
/// The README's quick start is samples/QuickStart/Program.cs word for word, and that program, run as it is (no set-up
/// call), lowers its training loss and writes an ONNX file that ONNX Runtime runs at another batch and image size.
/// It runs alone: it changes the process's current folder and console for the duration of the program.
/// </summary>
[Collection(IsolatedCollection.Name)]
public sealed class QuickStartTests
{
    private static readonly string RepositoryRoot = Path.GetFullPath(Path.Combine(Fixtures.Root, "..", ".."));

    [Fact]
    public void The_readme_quick_start_is_the_QuickStart_program_word_for_word()
    {
        string readme = File.ReadAllText(Path.Combine(RepositoryRoot, "README.md")).ReplaceLineEndings("\n");
        string program = File.ReadAllText(Path.Combine(RepositoryRoot, "samples", "QuickStart", "Program.cs")).ReplaceLineEndings("\n");
        var firstExample = Regex.Match(readme, "```csharp\n(.*?)```", RegexOptions.Singleline);

        firstExample.Success.Should().BeTrue("the README's quick start is its first C# example");
        firstExample.Groups[1].Value.Should().Be(program, "README.md shows samples/QuickStart/Program.cs as it is");
    }

    [Fact]
    public void The_quick_start_trains_and_exports_a_model_that_onnx_runtime_runs()
    {
        using var folder = new TempFolder("quickstart");
        string output = RunQuickStartIn(folder.Path);

        var losses = Regex.Matches(output, @"step (\d+): loss ([0-9.]+)")
            .ToDictionary(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), m => double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture));
        losses.Keys.Should().Equal(1, 10, 20, 30);
        losses[30].Should().BeLessThan(losses[1], "thirty AdamW steps on one batch lower its loss");
        output.Should().EndWith("wrote quickstart.onnx\n");

        using var session = new InferenceSession(folder.File("quickstart.onnx"));
        var pixels = Enumerable.Range(0, 2 * 3 * 96 * 80).Select(i => MathF.Sin(i * 0.01f)).ToArray();
        using var input = OrtValue.CreateTensorValueFromMemory(pixels, new long[] { 2, 3, 96, 80 });
        using var outputs = session.Run(new RunOptions(), new[] { "input" }, new[] { input }, session.OutputNames.ToArray());
        outputs.Should().ContainSingle();
        outputs[0].GetTensorTypeAndShape().Shape.Should().Equal(2, 4);
        outputs[0].GetTensorDataAsSpan<float>().ToArray().Should().OnlyContain(v => float.IsFinite(v));
    }

    /// <summary>Runs the QuickStart program's entry point with <paramref name="folder"/> as the current folder; returns what it printed.</summary>
    private static string RunQuickStartIn(string folder)
    {
        var entryPoint = Assembly.Load("QuickStart").EntryPoint!;
        string previousFolder = Directory.GetCurrentDirectory();
        var previousOut = Console.Out;
        var printed = new StringWriter { NewLine = "\n" };
        try
        {
            Directory.SetCurrentDirectory(folder);
            Console.SetOut(printed);
            entryPoint.Invoke(null, entryPoint.GetParameters().Length == 0 ? null : new object[] { Array.Empty<string>() });
        }
        finally
        {
            Console.SetOut(previousOut);
            Directory.SetCurrentDirectory(previousFolder);
        }
        return printed.ToString();
    }
}
