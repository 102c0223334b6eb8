using System;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text.RegularExpressions;
using FluentAssertions;
using ResNeStBlocks.Detection.Models;
using ResNeStBlocks.Hub;
using ResNeStBlocks.Testing;
using StbImageSharp;
using StbImageWriteSharp;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace ResNeStBlocks.Samples.Tests;

/// <summary>
/// The README's object detection example is samples/DetectImage/Program.cs word for word, and that program runs offline
/// when torchvision's checkpoint is already in torch.hub's folder (TORCH_HOME), as it is after a first download. The
/// checkpoint here has torchvision's keys, a zero class-score weight and a class-1 ("person") bias of 20, so every
/// kept detection is a confident person whatever the features, and its box is drawn.
/// </summary>
[Collection(IsolatedCollection.Name)]
public sealed class DetectImageTests
{
    private static readonly string RepositoryRoot = Path.GetFullPath(Path.Combine(Fixtures.Root, "..", ".."));

    [Fact]
    public void The_readme_object_detection_example_is_the_DetectImage_program_word_for_word()
    {
        string readme = File.ReadAllText(Path.Combine(RepositoryRoot, "README.md")).ReplaceLineEndings("\n");
        string program = File.ReadAllText(Path.Combine(RepositoryRoot, "samples", "DetectImage", "Program.cs")).ReplaceLineEndings("\n");
        var section = Regex.Match(readme, "## Object detection\n.*?```csharp\n(.*?)```", RegexOptions.Singleline);

        section.Success.Should().BeTrue("the README has an 'Object detection' section with a C# example");
        section.Groups[1].Value.Should().Be(program, "README.md shows samples/DetectImage/Program.cs as it is");
    }

    [Fact]
    public void The_program_detects_with_the_checkpoint_in_torch_hubs_folder_and_draws_the_boxes()
    {
        using var folder = new TempFolder("detect-image");
        string checkpoints = Path.Combine(folder.Path, "torch", "hub", "checkpoints");
        Directory.CreateDirectory(checkpoints);
        using (var model = DetectionModels.Create("fasterrcnn_resnet50_fpn"))
        {
            using var noGrad = no_grad();
            // The class scores ignore the features: logit 20 for "person", 0 for every other class (softmax 1.00 for person).
            using Scalar confident = 20.0;
            var state = model.state_dict();
            state["roi_heads.box_predictor.cls_score.weight"].zero_();
            var bias = state["roi_heads.box_predictor.cls_score.bias"].zero_();
            using var person = bias[1];
            person.fill_(confident);
            PthWriter.Save(model.state_dict(), Path.Combine(checkpoints, TorchvisionWeights.FasterRcnnResNet50Fpn));
        }
        // A grey gradient: no pixel is pure red before the boxes are drawn.
        const int width = 160, height = 120;
        var grey = Enumerable.Range(0, width * height).SelectMany(i => Enumerable.Repeat((byte)(40 + (i % width) + (i / width) / 2), 3)).ToArray();
        string input = folder.File("street.png");
        using (var file = File.Create(input))
            new ImageWriter().WritePng(grey, width, height, StbImageWriteSharp.ColorComponents.RedGreenBlue, file);

        string printed = Run(folder.Path, new[] { input, folder.File("boxes.png") });

        var lines = printed.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines.Should().HaveCountGreaterThan(1);
        lines[..^1].Should().OnlyContain(line => Regex.IsMatch(line, @"^person 1\.00 at \(\d+, \d+\) - \(\d+, \d+\)$"));
        lines[^1].Should().Be($"wrote {folder.File("boxes.png")}");
        var drawn = ImageResult.FromMemory(File.ReadAllBytes(folder.File("boxes.png")), StbImageSharp.ColorComponents.RedGreenBlue);
        (drawn.Width, drawn.Height).Should().Be((width, height));
        int red = Enumerable.Range(0, width * height).Count(p => drawn.Data[3 * p] == 255 && drawn.Data[3 * p + 1] == 0 && drawn.Data[3 * p + 2] == 0);
        red.Should().BeGreaterThan(0, "each confident detection's box is drawn in pure red");
    }

    /// <summary>Runs the program's entry point with TORCH_HOME under <paramref name="folder"/>; returns what it printed.</summary>
    private static string Run(string folder, string[] args)
    {
        var entryPoint = Assembly.Load("DetectImage").EntryPoint!;
        string? previousHome = Environment.GetEnvironmentVariable(HubEnvironment.TorchHome);
        var previousOut = Console.Out;
        var printed = new StringWriter { NewLine = "\n" };
        try
        {
            Environment.SetEnvironmentVariable(HubEnvironment.TorchHome, Path.Combine(folder, "torch"));
            Console.SetOut(printed);
            entryPoint.Invoke(null, new object[] { args });
        }
        finally
        {
            Console.SetOut(previousOut);
            Environment.SetEnvironmentVariable(HubEnvironment.TorchHome, previousHome);
        }
        return printed.ToString();
    }
}
