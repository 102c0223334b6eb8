using System;
using System.IO;
using System.Linq;
using FluentAssertions;
using ResNeStBlocks.Samples.Segment;
using ResNeStBlocks.Testing;
using Xunit;

namespace ResNeStBlocks.Samples.Tests;

/// <summary>The Segment sample's answers to unusable data folders and options: exit code 2 and one line that names the file and the fix.</summary>
public sealed class SegmentFolderTests : IDisposable
{
    private readonly string directory = Path.Combine(Path.GetTempPath(), "segment-folder-" + Guid.NewGuid().ToString("N"));

    public SegmentFolderTests() => Directory.CreateDirectory(directory);

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private string Data => Path.Combine(directory, "data");

    private string Image(string name) => Path.Combine(Data, "images", name);

    private string Mask(string name) => Path.Combine(Data, "masks", name);

    [Theory]
    [InlineData("image-without-mask")]
    [InlineData("mask-of-another-size")]
    [InlineData("index-beyond-the-classes")]
    [InlineData("rgb-mask")]
    [InlineData("no-masks-folder")]
    [InlineData("no-images")]
    [InlineData("missing-folder")]
    [InlineData("single-class")]
    public void Bad_folders_exit_with_code_2_and_the_exact_message(string problem)
    {
        DemoScenes.Write(Data, count: 6, seed: 2, minSide: 40, maxSide: 48);
        string expected;
        switch (problem)
        {
            case "image-without-mask":
                File.Delete(Mask("scene_0002.png"));
                File.Delete(Mask("scene_0004.png"));
                expected = $"2 image(s) in {Path.Combine(Data, "images")} have no mask in {Path.Combine(Data, "masks")} (a PNG of the same base name), such as scene_0002.png; add the masks or remove the images.";
                break;
            case "mask-of-another-size":
                MaskPng.WriteGrey(Mask("scene_0001.png"), new ClassMask(7, 5, new byte[35]));
                var size = StbImageSharp.ImageInfo.FromStream(File.OpenRead(Image("scene_0001.png")))!.Value;
                expected = $"Mask {Mask("scene_0001.png")} is 7x5 but its image {Image("scene_0001.png")} is {size.Width}x{size.Height}; a mask must have its image's size.";
                break;
            case "index-beyond-the-classes":
            {
                var mask = MaskPng.Read(Mask("scene_0003.png"));
                mask.Indices[10] = 9;
                MaskPng.WriteGrey(Mask("scene_0003.png"), mask);
                expected = $"Mask {Mask("scene_0003.png")} holds class index 9, but {Path.Combine(Data, "classes.txt")} names 5 classes (0-4); 255 marks pixels to ignore. Fix the mask or name the class in classes.txt.";
                break;
            }
            case "rgb-mask":
                File.Copy(Fixtures.File("masks", "rgb.png"), Mask("scene_0000.png"), overwrite: true);
                expected = $"Cannot read mask {Mask("scene_0000.png")}: it is an RGB PNG, whose pixels are colours; a mask must hold class indices: save it as a palette PNG (as Pascal VOC's masks) or an 8-bit greyscale PNG whose values are the classes (255 = ignore).";
                break;
            case "no-masks-folder":
                Directory.Delete(Path.Combine(Data, "masks"), recursive: true);
                expected = $"{Data} needs an images/ folder and a masks/ folder (or train/ and val/ folders that each hold both); {Path.Combine(Data, "masks")} is missing.";
                break;
            case "no-images":
                foreach (var file in Directory.GetFiles(Path.Combine(Data, "images")))
                    File.Delete(file);
                expected = $"{Path.Combine(Data, "images")} holds no images (PNG, JPEG, BMP, GIF or TGA).";
                break;
            case "missing-folder":
                Directory.Delete(Data, recursive: true);
                expected = $"Data folder not found: {Data}.";
                break;
            default:
                File.Delete(Path.Combine(Data, "classes.txt"));
                foreach (var file in Directory.GetFiles(Path.Combine(Data, "masks")))
                {
                    var mask = MaskPng.Read(file);
                    MaskPng.WriteGrey(file, mask with { Indices = mask.Indices.Select(v => v == 255 ? v : (byte)0).ToArray() });
                }
                expected = $"Every mask in {Data} holds class 0 only (or nothing but ignored pixels); segmentation needs at least two classes.";
                break;
        }
        var error = new StringWriter();

        int exit = SegmentApp.Execute(new[] { "--data", Data, "--out", Path.Combine(directory, "out") }, TextWriter.Null, error);

        exit.Should().Be(SegmentApp.ErrorExitCode);
        error.ToString().Should().Be($"error: {expected}{Environment.NewLine}Run with --help for usage.{Environment.NewLine}");
    }

    [Fact]
    public void Without_classes_txt_the_classes_are_the_indices_found_and_a_split_folder_keeps_its_val_images()
    {
        DemoScenes.Write(Path.Combine(Data, "train"), count: 5, seed: 3, minSide: 40, maxSide: 48);
        DemoScenes.Write(Path.Combine(Data, "val"), count: 2, seed: 4, minSide: 40, maxSide: 48);
        File.Delete(Path.Combine(Data, "train", "classes.txt"));
        File.Delete(Path.Combine(Data, "val", "classes.txt"));
        MaskPng.WriteGrey(Path.Combine(Data, "train", "masks", "orphan.png"), new ClassMask(2, 2, new byte[4]));

        var folder = SegmentData.Scan(Data, 0.2, seed: 1);

        folder.HasValFolder.Should().BeTrue();
        folder.NamedClasses.Should().BeFalse();
        (folder.Train.Count, folder.Val.Count).Should().Be((5, 2));
        int largest = folder.Train.Concat(folder.Val).SelectMany(p => MaskPng.Read(p.Mask).Indices).Where(v => v != 255).Max(v => v);
        folder.Classes.Should().Equal(Enumerable.Range(0, largest + 1).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        folder.MasksWithoutImage.Should().Equal(Path.Combine(Data, "train", "masks", "orphan.png"));
    }

    [Fact]
    public void The_split_holds_out_a_seeded_fifth()
    {
        DemoScenes.Write(Data, count: 10, seed: 2, minSide: 40, maxSide: 48);

        var first = SegmentData.Scan(Data, 0.2, seed: 1);
        var again = SegmentData.Scan(Data, 0.2, seed: 1);
        var other = SegmentData.Scan(Data, 0.2, seed: 2);

        (first.Train.Count, first.Val.Count).Should().Be((8, 2));
        first.Val.Should().Equal(again.Val);
        first.Val.Should().NotEqual(other.Val);
        first.Train.Intersect(first.Val).Should().BeEmpty();
    }

    [Theory]
    [InlineData(new[] { "--model", "unet_resnet50" }, "error: Unknown model 'unet_resnet50'. Use 'tiny' or one of: ")]
    [InlineData(new[] { "--pretrained" },
        "error: --pretrained: 'tiny' has no pretrained weights; pick a model such as deeplabv3_resnest50d, or train 'tiny' from scratch without --pretrained.")]
    [InlineData(new[] { "--resume", "{dir}/missing.safetensors" }, "error: Checkpoint to resume not found: {dir}/missing.safetensors.")]
    [InlineData(new[] { "--schedule", "step" }, "error: --schedule must be poly or cosine, got 'step'.")]
    [InlineData(new[] { "--precision", "fp8" }, "error: --precision must be auto, fp32, bf16 or fp16, got 'fp8'.")]
    [InlineData(new[] { "--scale", "2,1" }, "error: --scale must be MIN,MAX with 0 < MIN <= MAX, got 2,1.")]
    [InlineData(new[] { "--batch-size", "1" }, "error: --batch-size must be at least 2 (BatchNorm and ASPP's pooling branch need two images), got 1.")]
    [InlineData(new[] { "--batch-size", "50" }, "error: --batch-size (50) is larger than the 5 training images; lower it.")]
    [InlineData(new[] { "--model", "{dir}/missing.safetensors", "--image", "{dir}/x.png" },
        "error: --model must name a trained model file with --image (a checkpoint such as segment-output/best.safetensors, or an .onnx file); {dir}/missing.safetensors does not exist.")]
    public void User_errors_exit_with_code_2_and_name_the_fix(string[] extra, string message)
    {
        DemoScenes.Write(Data, count: 6, seed: 2, minSide: 40, maxSide: 48);
        var args = new[] { "--data", Data, "--out", Path.Combine(directory, "out") }
            .Concat(extra.Select(a => a.Replace("{dir}", directory, StringComparison.Ordinal))).ToArray();
        var error = new StringWriter();

        int exit = SegmentApp.Execute(args, TextWriter.Null, error);

        exit.Should().Be(SegmentApp.ErrorExitCode);
        error.ToString().Should().StartWith(message.Replace("{dir}", directory, StringComparison.Ordinal));
    }

    [Fact]
    public void Help_lists_the_options_and_demo_data_says_what_it_wrote()
    {
        var output = new StringWriter();
        SegmentApp.Execute(new[] { "--help" }, output, TextWriter.Null).Should().Be(0);
        output.ToString().Should().Contain("--make-demo-data DIR").And.Contain("--resume FILE").And.Contain("--precision P").And.Contain("--image PATH");

        output = new StringWriter();
        SegmentApp.Execute(new[] { "--make-demo-data", Data }, output, TextWriter.Null).Should().Be(0);
        output.ToString().Trim().Should().Be($"Wrote 400 scenes with masks of 5 classes (background, circle, cross, square, triangle) to {Data}.");
        Directory.GetFiles(Path.Combine(Data, "masks")).Should().HaveCount(400);
    }
}
