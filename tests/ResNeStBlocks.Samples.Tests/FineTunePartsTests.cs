using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using FluentAssertions;
using ResNeStBlocks.Samples.Data;
using ResNeStBlocks.Samples.FineTune;
using StbImageSharp;
using Xunit;
using ResNeStBlocks.Testing;
using ResNeStBlocks.Vision;

namespace ResNeStBlocks.Samples.Tests;

/// <summary>The FineTune sample's pieces and its answers to bad input (no training).</summary>
/// <remarks>
/// Isolated: a bad data folder is found inside <see cref="FineTuneApp.Run"/>, after it has set torch's thread count,
/// and libtorch gives every thread that first runs a torch operation meanwhile (a thread-pool thread of a test running
/// beside it) that count for good.
/// </remarks>
[Collection(IsolatedCollection.Name)]
public sealed class FineTunePartsTests : IDisposable
{
    private readonly TempFolder temp = new("finetune-parts");

    public void Dispose() => temp.Dispose();

    [Fact]
    public void The_split_holds_out_a_seeded_fifth_of_each_class_or_uses_the_val_folder()
    {
        WriteClasses(temp.Path, ("a", 10), ("b", 6));

        var first = ImageFiles.Scan(temp.Path, 0.2, seed: 1);
        var again = ImageFiles.Scan(temp.Path, 0.2, seed: 1);
        var other = ImageFiles.Scan(temp.Path, 0.2, seed: 2);

        first.Classes.Should().Equal("a", "b");
        first.Val.Count(i => i.Label == 0).Should().Be(2);
        first.Val.Count(i => i.Label == 1).Should().Be(1);
        first.Train.Should().HaveCount(13);
        first.Val.Should().Equal(again.Val);
        first.Val.Should().NotEqual(other.Val);
        first.Train.Select(i => i.Path).Intersect(first.Val.Select(i => i.Path)).Should().BeEmpty();

        string split = Path.Combine(temp.Path, "split");
        WriteClasses(Path.Combine(split, "train"), ("x", 3), ("y", 3));
        WriteClasses(Path.Combine(split, "val"), ("y", 2));
        var folders = ImageFiles.Scan(split, 0.2, seed: 1);
        folders.HasValFolder.Should().BeTrue();
        folders.Train.Should().HaveCount(6);
        folders.Val.Should().HaveCount(2).And.OnlyContain(i => i.Label == 1);
    }

    [Theory]
    [InlineData("empty", "contains no class folders")]
    [InlineData("one-class", "contains a single class folder ('only'); classification needs at least two classes")]
    [InlineData("unreadable-class", "holds no readable images")]
    [InlineData("missing", "Data folder not found")]
    public void Unusable_folders_exit_with_code_2_and_say_why(string layout, string message)
    {
        string data = Path.Combine(temp.Path, layout);
        switch (layout)
        {
            case "empty":
                Directory.CreateDirectory(data);
                break;
            case "one-class":
                WriteClasses(data, ("only", 3));
                break;
            case "unreadable-class":
                WriteClasses(data, ("good", 3));
                Directory.CreateDirectory(Path.Combine(data, "bad"));
                File.WriteAllText(Path.Combine(data, "bad", "1.png"), "not a png");
                break;
        }
        var error = new StringWriter();

        int exit = FineTuneApp.Execute(new[] { "--data", data, "--model", "tiny", "--out", Path.Combine(temp.Path, "out") }, TextWriter.Null, error);

        exit.Should().Be(FineTuneApp.ErrorExitCode);
        error.ToString().Should().StartWith("error: ").And.Contain(message);
    }

    [Theory]
    [InlineData(new[] { "--model", "resnest51x" }, "Unknown model 'resnest51x'. Use 'tiny' or one of: ")]
    [InlineData(new[] { "--pretrained" },
        "error: --pretrained: 'tiny' has no pretrained weights; pick a zoo model such as resnest14d, or train 'tiny' from scratch without --pretrained.")]
    [InlineData(new[] { "--model", "resnest14d", "--pretrained", "--weights", "{dir}/model.safetensors" },
        "error: --pretrained and --weights both choose the starting weights; pass one: --pretrained downloads timm's, --weights FILE reads a file.")]
    [InlineData(new[] { "--weights", "{dir}/missing.safetensors" }, "Weights file not found")]
    [InlineData(new[] { "--resume", "{dir}/missing.safetensors" }, "Checkpoint to resume not found")]
    [InlineData(new[] { "--scale", "0.5" }, "--scale must be MIN,MAX (such as 0.08,1), got '0.5'")]
    [InlineData(new[] { "--scale", "0.9,0.5" }, "--scale must be MIN,MAX with 0 < MIN <= MAX <= 1, got 0.9,0.5")]
    [InlineData(new[] { "--opt", "lamb" }, "--opt must be adamw or sgd, got 'lamb'")]
    [InlineData(new[] { "--batch-size", "1" }, "--batch-size must be at least 2")]
    [InlineData(new[] { "--batch-size", "500" }, "--batch-size (500) is larger than the 8 training images; lower it.")]
    [InlineData(new[] { "--colour", "red" }, "Unknown option '--colour'")]
    public void User_errors_exit_with_code_2_and_name_the_fix(string[] extra, string message)
    {
        string data = Path.Combine(temp.Path, "data");
        WriteClasses(data, ("a", 5), ("b", 5));
        var args = new[] { "--data", data, "--model", "tiny", "--out", Path.Combine(temp.Path, "out") }
            .Concat(extra.Select(a => a.Replace("{dir}", temp.Path, StringComparison.Ordinal))).ToArray();
        var error = new StringWriter();

        int exit = FineTuneApp.Execute(args, TextWriter.Null, error);

        exit.Should().Be(FineTuneApp.ErrorExitCode);
        error.ToString().Should().Contain(message);
    }

    [Theory]
    [InlineData(new[] { "--data", "d", "--export-onnx" }, "out/model.onnx")]
    [InlineData(new[] { "--export-onnx", "--data", "d" }, "out/model.onnx")]
    [InlineData(new[] { "--export-onnx", "deploy/m.onnx", "--data", "d" }, "deploy/m.onnx")]
    public void Export_onnx_takes_an_optional_file_that_defaults_into_the_output_folder(string[] args, string expected)
    {
        var options = FineTuneOptions.Parse(args.Append("--out").Append("out").ToArray())!;

        options.ExportOnnx.Should().BeTrue();
        options.OnnxFile.Should().Be(expected.Replace('/', Path.DirectorySeparatorChar));
        options.DataDirectory.Should().Be("d");
        FineTuneOptions.Parse(new[] { "--data", "d" })!.ExportOnnx.Should().BeFalse();
    }

    [Fact]
    public void Without_data_it_says_how_to_get_some_and_help_lists_the_options()
    {
        var error = new StringWriter();
        FineTuneApp.Execute(Array.Empty<string>(), TextWriter.Null, error).Should().Be(2);
        error.ToString().Should().Contain("--data DIR is required").And.Contain("--make-demo-data DIR");

        var output = new StringWriter();
        FineTuneApp.Execute(new[] { "--help" }, output, TextWriter.Null).Should().Be(0);
        output.ToString().Should().Contain("--weights FILE").And.Contain("--resume FILE").And.Contain("--ema-decay X");
    }

    [Fact]
    public void Demo_data_has_four_classes_of_png_and_jpeg_with_grey_and_rgba_images()
    {
        DemoData.Write(temp.Path, perClass: 20).Should().Be(80);

        var files = Directory.GetFiles(temp.Path, "*", SearchOption.AllDirectories);
        files.Should().HaveCount(80);
        files.Count(f => f.EndsWith(".jpg", StringComparison.Ordinal)).Should().Be(8);
        var components = files.Where(f => f.EndsWith(".png", StringComparison.Ordinal))
            .Select(f => { using var s = File.OpenRead(f); return ImageInfo.FromStream(s)!.Value.ColorComponents; })
            .GroupBy(c => c).ToDictionary(g => g.Key, g => g.Count());
        components.Should().Equal(new Dictionary<ColorComponents, int>
        {
            [ColorComponents.RedGreenBlue] = 56, [ColorComponents.Grey] = 8, [ColorComponents.RedGreenBlueAlpha] = 8,
        });
        var folder = ImageFiles.Scan(temp.Path, 0.2, 1);
        folder.Classes.Should().Equal(DemoData.Classes);
        folder.Skipped.Should().BeEmpty();
        (folder.Train.Count, folder.Val.Count).Should().Be((64, 16));
    }

    [Fact]
    public void Batches_depend_on_seed_and_epoch_only_and_arrive_complete()
    {
        WriteClasses(temp.Path, ("a", 6), ("b", 6));
        var images = ImageFiles.Scan(temp.Path, 0.2, 1).Train;
        var transform = new ClassificationTrainTransform(16, ResNeStBlocks.Preprocessing.Interpolation.Bilinear,
            ResNeStBlocks.Preprocessing.ImagePreprocessor.ImageNetMean, ResNeStBlocks.Preprocessing.ImagePreprocessor.ImageNetStd, ColorJitter: 0.4);
        BatchLoader<LabelledImage> Loader(int workers) => ImageBatches.Create(images, transform.Apply, batchSize: 4, shuffle: true, seed: 3, workers);

        var serial = Loader(1).Epoch(1).Select(Take).ToList();
        var parallel = Loader(2).Epoch(1).Select(Take).ToList();
        var nextEpoch = Loader(2).Epoch(2).Select(Take).ToList();

        serial.Should().HaveCount(2, "10 training images make two full batches of 4; the partial one is dropped");
        serial[0].Pixels.Length.Should().Be(4 * 3 * 16 * 16);
        for (int b = 0; b < serial.Count; b++)
        {
            parallel[b].Labels.Should().Equal(serial[b].Labels);
            parallel[b].Pixels.Should().Equal(serial[b].Pixels);
        }
        nextEpoch[0].Pixels.Should().NotEqual(serial[0].Pixels);
        Loader(1).Epoch(1).First().Dispose();   // abandoning an epoch stops its producer
    }

    private static (long[] Labels, float[] Pixels) Take(HostBatch batch)
    {
        using (batch)
            return (batch.Targets.data<long>().ToArray(), batch.Inputs.data<float>().ToArray());
    }

    private static void WriteClasses(string root, params (string Name, int Count)[] classes)
    {
        var random = new Random(9);
        foreach (var (name, count) in classes)
        {
            Directory.CreateDirectory(Path.Combine(root, name));
            for (int i = 0; i < count; i++)
                File.WriteAllBytes(Path.Combine(root, name, $"{i}.png"), DemoData.Render("circle", 20, 20, DemoData.ImageKind.Rgb, random));
        }
    }
}
