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

/// <summary>The Segment sample's pieces (no training): joint augmentation, metrics, the mask reader, demo scenes.</summary>
public sealed class SegmentPartsTests : IDisposable
{
    private const int H = 60, W = 90, Classes = 5;
    private static readonly float[] Mean = ImagePreprocessor.ImageNetMean.ToArray(), Std = ImagePreprocessor.ImageNetStd.ToArray();
    private readonly string directory = Path.Combine(Path.GetTempPath(), "segment-parts-" + Guid.NewGuid().ToString("N"));

    public SegmentPartsTests() => Directory.CreateDirectory(directory);

    public void Dispose() => Directory.Delete(directory, recursive: true);

    /// <summary>The grey level a stripe of class <paramref name="k"/> is painted in (0 is left for the padding).</summary>
    private static float Grey(int k) => 40 + 40 * k;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Joint_augmentation_keeps_every_mask_pixel_on_its_image_pixel_through_resize_flip_crop_and_padding(bool vertical)
    {
        // Stripes of 7 to 13 pixels, each class its own grey. The image is resized bilinearly (antialiased when shrinking),
        // the mask by nearest source centre: at every pixel the class the mask names must hold at least half of the
        // filter's weight, so the pixel's grey is at least as close to that class's grey as to the grey of the stripe
        // beside it, and inside a stripe it is the class's own. A mask one pixel off its image fails at the stripe edges;
        // padding must be black in the image and 255 in the mask.
        var widths = new[] { 7, 9, 13, 8, 11, 10, 12, 9, 7, 13, 10 };
        var stripeOf = new int[vertical ? W : H];
        for (int p = 0, s = 0, start = 0; p < stripeOf.Length; p++)
        {
            if (p - start >= widths[s % widths.Length]) { start = p; s++; }
            stripeOf[p] = s;
        }
        var mask = new byte[H * W];
        var rgb = new byte[H * W * 3];
        for (int y = 0; y < H; y++)
        {
            for (int x = 0; x < W; x++)
            {
                int k = stripeOf[vertical ? x : y] * 3 % Classes;
                mask[y * W + x] = (byte)k;
                rgb[3 * (y * W + x)] = rgb[3 * (y * W + x) + 1] = rgb[3 * (y * W + x) + 2] = (byte)Grey(k);
            }
        }
        using var image = tensor(rgb, new long[] { H, W, 3 }, ScalarType.Byte);
        using var labels = tensor(mask, new long[] { H, W }, ScalarType.Byte);
        var transform = new JointTransform(BaseSize: 64, CropSize: 72, Mean, Std);
        var random = new Random(4);
        int flips = 0, padded = 0, checkedPixels = 0;
        double smallest = double.MaxValue, largest = 0;
        var failures = new List<string>();
        void Expect(bool condition, string failure)
        {
            if (!condition && failures.Count < 10)
                failures.Add(failure);
        }

        for (int draw = 0; draw < 60; draw++)
        {
            var geometry = transform.Draw(H, W, random);
            var example = transform.Apply(image, labels, geometry);
            using var input = example.Input;
            using var target = example.Target;
            var grey = Denormalise(input, channel: 1);
            var classes = target.data<long>().ToArray();
            input.shape.Should().Equal(3, 72, 72);
            target.shape.Should().Equal(72, 72);
            flips += geometry.Flip ? 1 : 0;
            smallest = Math.Min(smallest, Math.Min(geometry.Height, geometry.Width));
            largest = Math.Max(largest, Math.Min(geometry.Height, geometry.Width));
            for (int p = 0; p < classes.Length; p++)
            {
                if (classes[p] == 255)
                {
                    Expect(Math.Abs(grey[p]) < 1e-3f, $"draw {draw}, pixel {p}: padding is black, got {grey[p]}");
                    padded++;
                    continue;
                }
                Expect(grey[p] > 1, $"draw {draw}, pixel {p}: a labelled pixel is not padding");
                // The classes the mask shows within three pixels across the stripes: the only ones that can blend in here.
                int row = p / 72, column = p % 72;
                var near = Enumerable.Range(-3, 7)
                    .Select(d => vertical ? (row, Math.Clamp(column + d, 0, 71)) : (Math.Clamp(row + d, 0, 71), column))
                    .Select(q => classes[q.Item1 * 72 + q.Item2]).Where(c => c != 255 && c != classes[p]).Distinct().ToList();
                float own = Math.Abs(grey[p] - Grey((int)classes[p]));
                // Beside the crop's edge the stripe that blends in may lie outside the crop, where the mask does not show it.
                int across = vertical ? column : row;
                if (near.Count == 0 && across >= 3 && across < 72 - 3)
                    Expect(own < 1e-2f, $"draw {draw}, pixel {p}: inside a stripe the grey is the class's own, got {grey[p]} for class {classes[p]}");
                foreach (var other in near)
                    Expect(own <= Math.Abs(grey[p] - Grey((int)other)) + 1e-2f, $"draw {draw}, pixel {p}: grey {grey[p]} under class {classes[p]} beside {other}");
                checkedPixels++;
            }
        }
        failures.Should().BeEmpty();
        flips.Should().BeInRange(15, 45);
        padded.Should().BeGreaterThan(0, "some draws shrink the image below the crop");
        smallest.Should().BeInRange(32, 40, "the shorter side is drawn from [0.5, 2] x 64");
        largest.Should().BeInRange(110, 128);
        checkedPixels.Should().BeGreaterThan(100_000);
    }

    [Fact]
    public void Without_a_resize_the_crop_flip_and_padding_are_exact_copies_of_image_and_mask()
    {
        // The image's three channels encode the mask (and the pixel's position), so any offset between the two shows.
        var random = new Random(2);
        var mask = Enumerable.Range(0, H * W).Select(_ => (byte)random.Next(Classes)).ToArray();
        var rgb = new byte[H * W * 3];
        for (int p = 0; p < H * W; p++)
            (rgb[3 * p], rgb[3 * p + 1], rgb[3 * p + 2]) = ((byte)(mask[p] * 50 + 10), (byte)(p % W + 1), (byte)(p / W + 1));
        using var image = tensor(rgb, new long[] { H, W, 3 }, ScalarType.Byte);
        using var labels = tensor(mask, new long[] { H, W }, ScalarType.Byte);
        var transform = new JointTransform(BaseSize: 60, CropSize: 64, Mean, Std);

        foreach (var geometry in new[] { new JointGeometry(H, W, false, 0, 5), new JointGeometry(H, W, true, 0, 26) })
        {
            var example = transform.Apply(image, labels, geometry);
            using var input = example.Input;
            using var target = example.Target;
            var red = Denormalise(input, 0);
            var column = Denormalise(input, 1);
            var row = Denormalise(input, 2);
            var classes = target.data<long>().ToArray();
            for (int y = 0; y < 64; y++)
            {
                for (int x = 0; x < 64; x++)
                {
                    int p = y * 64 + x;
                    if (y >= H)
                    {
                        classes[p].Should().Be(255);
                        red[p].Should().BeApproximately(0, 1e-3f);
                        continue;
                    }
                    int sourceX = geometry.Flip ? W - 1 - (geometry.Left + x) : geometry.Left + x;
                    classes[p].Should().Be(mask[y * W + sourceX]);
                    red[p].Should().BeApproximately(mask[y * W + sourceX] * 50 + 10, 2e-3f);
                    column[p].Should().BeApproximately(sourceX + 1, 2e-3f);
                    row[p].Should().BeApproximately(y + 1, 2e-3f);
                }
            }
        }
    }

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

    /// <summary>One channel of a normalised [3, H, W] image back in 0-255 units.</summary>
    private static float[] Denormalise(Tensor input, int channel) =>
        input[channel].data<float>().ToArray().Select(v => (v * Std[channel] + Mean[channel]) * 255).ToArray();
}
