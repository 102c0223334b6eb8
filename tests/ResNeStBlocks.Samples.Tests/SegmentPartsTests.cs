using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using FluentAssertions;
using ResNeStBlocks.Samples.OnnxImages;
using ResNeStBlocks.Preprocessing;
using ResNeStBlocks.Samples.Segment;
using ResNeStBlocks.Testing;
using StbImageSharp;
using Xunit;
using static TorchSharp.torch;

namespace ResNeStBlocks.Samples.Tests;

/// <summary>The Segment sample's pieces (no training): the evaluation transform, the mask reader, demo scenes.</summary>
public sealed class SegmentPartsTests : IDisposable
{
    private static readonly float[] Mean = ImagePreprocessor.ImageNetMean.ToArray(), Std = ImagePreprocessor.ImageNetStd.ToArray();
    private readonly string directory = Path.Combine(Path.GetTempPath(), "segment-parts-" + Guid.NewGuid().ToString("N"));

    public SegmentPartsTests() => Directory.CreateDirectory(directory);

    public void Dispose() => Directory.Delete(directory, recursive: true);

    [Fact]
    public void Evaluation_resizes_the_shorter_side_to_the_base_size_with_the_mask_beside_it()
    {
        using var image = randint(0, 256, new long[] { 30, 45, 3 }, ScalarType.Byte, generator: new Generator(6));
        using var labels = ones(new long[] { 30, 45 }, ScalarType.Byte);
        var transform = new JointTransform(BaseSize: 40, CropSize: 32, Mean, Std);
        var example = transform.Evaluate(image, labels);

        example.Input.shape.Should().Equal(3, 40, 60);
        transform.EvaluationInput(image).eq(example.Input).all().item<bool>().Should().BeTrue("prediction prepares an image as evaluation does");
        example.Target.shape.Should().Equal(40, 60);
        example.Target.dtype.Should().Be(ScalarType.Int64);
        example.Target.eq(1).all().item<bool>().Should().BeTrue();
    }

    public static IEnumerable<object[]> MaskFixtures() => new[]
    {
        new object[] { "palette_8bit.png", (Func<int, int, int>)((x, y) => (x + y) % 11 == 0 ? 255 : (3 * x + 5 * y) % 21) },
        new object[] { "palette_4bit.png", (Func<int, int, int>)((x, y) => (x + 2 * y) % 16) },
        new object[] { "palette_2bit_filters.png", (Func<int, int, int>)((x, y) => (x + y) % 4) },
        new object[] { "palette_1bit_filters.png", (Func<int, int, int>)((x, y) => x * y % 2) },
        new object[] { "grey_8bit.png", (Func<int, int, int>)((x, y) => (7 * x + 11 * y) % 256) },
        new object[] { "grey_8bit_filters.png", (Func<int, int, int>)((x, y) => (7 * x + 11 * y) % 256) },
    };

    [Theory]
    [MemberData(nameof(MaskFixtures))]
    public void Palette_and_grey_pngs_written_by_pil_and_by_a_filtering_encoder_read_as_their_indices(string file, Func<int, int, int> expected)
    {
        var mask = MaskPng.Read(Fixtures.File("masks", file));

        (mask.Width, mask.Height).Should().Be((37, 23));
        for (int y = 0; y < 23; y++)
        {
            for (int x = 0; x < 37; x++)
                mask.Indices[y * 37 + x].Should().Be((byte)expected(x, y), $"{file} at ({x}, {y})");
        }
    }

    [Fact]
    public void A_general_decoder_turns_a_palette_mask_into_colours_which_is_why_masks_are_read_here()
    {
        var colours = ImageResult.FromMemory(File.ReadAllBytes(Fixtures.File("masks", "palette_8bit.png")), ColorComponents.RedGreenBlue);

        // Index 3 at (1, 0) decodes to VOC's colour for class 3, (128, 128, 0), not to the value 3.
        (colours.Data[3], colours.Data[4], colours.Data[5]).Should().Be(((byte)128, (byte)128, (byte)0));
        MaskPng.Read(Fixtures.File("masks", "palette_8bit.png")).Indices[1].Should().Be(3);
        VocPalette.Colour(3).Should().Be(((byte)128, (byte)128, (byte)0));
        VocPalette.Colour(15).Should().Be(((byte)192, (byte)128, (byte)128));   // VOC's person
        VocPalette.Colour(255).Should().Be(((byte)224, (byte)224, (byte)192));
    }

    [Fact]
    public void Masks_written_by_the_sample_round_trip_in_both_formats()
    {
        var random = new Random(8);
        var mask = new ClassMask(31, 17, Enumerable.Range(0, 31 * 17).Select(_ => (byte)(random.Next(6) == 0 ? 255 : random.Next(21))).ToArray());
        string palette = Path.Combine(directory, "p.png"), grey = Path.Combine(directory, "g.png");

        MaskPng.WritePalette(palette, mask, VocPalette.All());
        MaskPng.WriteGrey(grey, mask);

        MaskPng.Read(palette).Should().BeEquivalentTo(mask);
        MaskPng.Read(grey).Should().BeEquivalentTo(mask);
        ImageInfo.FromStream(File.OpenRead(grey))!.Value.ColorComponents.Should().Be(ColorComponents.Grey);
    }

    [Theory]
    [InlineData("rgb.png", "it is an RGB PNG, whose pixels are colours; a mask must hold class indices: save it as a palette PNG (as Pascal VOC's masks) or an 8-bit greyscale PNG whose values are the classes (255 = ignore).")]
    [InlineData("interlaced.png", "it is interlaced (Adam7); save the mask without interlacing.")]
    public void Masks_of_colours_or_interlaced_are_refused_naming_the_fix(string file, string reason)
    {
        string path = Fixtures.File("masks", file);

        var act = () => MaskPng.Read(path);

        act.Should().Throw<InvalidDataException>().WithMessage($"Cannot read mask {path}: {reason}");
    }

    [Fact]
    public void Damaged_masks_are_refused_naming_what_is_wrong()
    {
        byte[] good = File.ReadAllBytes(Fixtures.File("masks", "palette_8bit.png"));
        var corrupt = good.ToArray();
        corrupt[40] ^= 0xFF;

        ((Action)(() => MaskPng.Decode(good.AsSpan(0, good.Length / 2)))).Should().Throw<InvalidDataException>().WithMessage("*truncated*");
        ((Action)(() => MaskPng.Decode(corrupt))).Should().Throw<InvalidDataException>().WithMessage("the CRC of chunk * is wrong (the file is damaged).");
        ((Action)(() => MaskPng.Decode(new byte[] { 1, 2, 3 }))).Should().Throw<InvalidDataException>()
            .WithMessage("not a PNG file (masks are PNGs whose pixels are class indices).");
    }

    [Fact]
    public void Demo_scenes_have_classes_palette_and_grey_masks_of_their_images_size_and_ignored_borders()
    {
        DemoScenes.Write(directory, count: 8, seed: 3).Should().Be(8);

        File.ReadAllLines(Path.Combine(directory, "classes.txt")).Should().Equal("background", "circle", "cross", "square", "triangle");
        Directory.GetFiles(Path.Combine(directory, "images"), "*.jpg").Should().HaveCount(1);
        var folder = SegmentData.Scan(directory, 0.25, seed: 1);
        folder.Classes.Should().Equal(DemoScenes.Classes);
        (folder.Train.Count, folder.Val.Count).Should().Be((6, 2));
        var values = new HashSet<byte>();
        foreach (var pair in folder.Train.Concat(folder.Val))
        {
            var mask = MaskPng.Read(pair.Mask);
            var info = ImageInfo.FromStream(File.OpenRead(pair.Image))!.Value;
            (mask.Width, mask.Height).Should().Be((info.Width, info.Height));
            values.UnionWith(mask.Indices);
        }
        values.Should().Contain(new byte[] { 0, 255 }).And.OnlyContain(v => v <= 4 || v == 255);
        values.Count.Should().BeGreaterThan(4, "eight scenes show several shape classes");
        using var grey = File.OpenRead(Path.Combine(directory, "masks", "scene_0003.png"));
        ImageInfo.FromStream(grey)!.Value.ColorComponents.Should().Be(ColorComponents.Grey);
    }
}
