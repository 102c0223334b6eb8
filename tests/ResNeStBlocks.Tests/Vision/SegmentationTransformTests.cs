using System;
using System.Collections.Generic;
using System.Linq;
using FluentAssertions;
using ResNeStBlocks.Vision;
using Xunit;
using static TorchSharp.torch;

namespace ResNeStBlocks.Tests.Vision;

/// <summary>The paired transforms on a segmentation sample: the class mask stays on its image pixels, pixel for pixel.</summary>
public sealed class SegmentationTransformTests
{
    private const int H = 60, W = 90, Classes = 5;

    /// <summary>The grey level a stripe of class <paramref name="k"/> is painted in (0 is left for the padding).</summary>
    private static float Grey(int k) => 40 + 40 * k;

    /// <summary>torchvision's segmentation reference's training augmentation with a base size of 64 and a crop of 72.</summary>
    private static readonly Compose Augmentation = new(new RandomResize(32, 128), new HorizontalFlip(0.5), new PadIfSmaller(72, 72), new RandomCrop(72, 72));

    private static PairedSample Sample(float[] pixels, byte[] mask) =>
        PairedSample.ForSegmentation(tensor(pixels, new long[] { 3, H, W }), tensor(mask, new long[] { H, W }, ScalarType.Byte));

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Resize_flip_pad_and_crop_keep_every_mask_pixel_on_its_image_pixel(bool vertical)
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
        var pixels = new float[3 * H * W];
        for (int y = 0; y < H; y++)
        {
            for (int x = 0; x < W; x++)
            {
                int k = stripeOf[vertical ? x : y] * 3 % Classes;
                mask[y * W + x] = (byte)k;
                for (int c = 0; c < 3; c++)
                    pixels[(c * H + y) * W + x] = Grey(k);
            }
        }
        using var sample = Sample(pixels, mask);
        int flips = 0, padded = 0, checkedPixels = 0, smallest = int.MaxValue, largest = 0;
        var failures = new List<string>();
        void Expect(bool condition, string failure)
        {
            if (!condition && failures.Count < 10)
                failures.Add(failure);
        }

        for (int draw = 0; draw < 60; draw++)
        {
            using var augmented = Augmentation.Apply(sample, new Random(draw));
            // The draws in their documented order: the shorter side, then the flip, then the crop's corner.
            var replay = new Random(draw);
            int shorter = replay.Next(32, 129);
            flips += replay.NextDouble() < 0.5 ? 1 : 0;
            smallest = Math.Min(smallest, shorter);
            largest = Math.Max(largest, shorter);
            augmented.Image.shape.Should().Equal(3, 72, 72);
            augmented.ClassMask!.shape.Should().Equal(72, 72);
            var grey = augmented.Image[1].contiguous().data<float>().ToArray();
            var classes = augmented.ClassMask.contiguous().data<byte>().ToArray();
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
                float own = Math.Abs(grey[p] - Grey(classes[p]));
                // Beside the crop's edge the stripe that blends in may lie outside the crop, where the mask does not show it.
                int across = vertical ? column : row;
                if (near.Count == 0 && across >= 3 && across < 72 - 3)
                    Expect(own < 1e-2f, $"draw {draw}, pixel {p}: inside a stripe the grey is the class's own, got {grey[p]} for class {classes[p]}");
                foreach (var other in near)
                    Expect(own <= Math.Abs(grey[p] - Grey(other)) + 1e-2f, $"draw {draw}, pixel {p}: grey {grey[p]} under class {classes[p]} beside {other}");
                checkedPixels++;
            }
        }
        failures.Should().BeEmpty();
        flips.Should().BeInRange(15, 45);
        padded.Should().BeGreaterThan(0, "some draws shrink the image below the crop");
        smallest.Should().BeInRange(32, 40, "the shorter side is drawn from [32, 128]");
        largest.Should().BeInRange(110, 128);
        checkedPixels.Should().BeGreaterThan(100_000);
    }

    [Fact]
    public void Without_a_resize_the_flip_padding_and_crop_are_exact_copies_of_image_and_mask()
    {
        // The image's three channels encode the mask and the pixel's position, so any offset between the two shows.
        var random = new Random(2);
        var mask = Enumerable.Range(0, H * W).Select(_ => (byte)random.Next(Classes)).ToArray();
        var pixels = new float[3 * H * W];
        for (int p = 0; p < H * W; p++)
            (pixels[p], pixels[H * W + p], pixels[2 * H * W + p]) = (mask[p] * 50 + 10, p % W + 1, p / W + 1);
        using var sample = Sample(pixels, mask);

        foreach (var (flip, left) in new[] { (false, 5), (true, 26) })
        {
            using var resized = RandomResize.Resize(sample, H);
            using var flipped = flip ? HorizontalFlip.Flip(resized) : new Compose().Apply(resized, new Random(0));
            using var padded = new PadIfSmaller(64, 64).Pad(flipped);
            using var crop = RandomCrop.Crop(padded, 0, left, 64, 64);
            var image = crop.Image.contiguous().data<float>().ToArray();
            var classes = crop.ClassMask!.contiguous().data<byte>().ToArray();
            for (int y = 0; y < 64; y++)
            {
                for (int x = 0; x < 64; x++)
                {
                    int p = y * 64 + x;
                    if (y >= H)
                    {
                        classes[p].Should().Be(255);
                        image[p].Should().Be(0);
                        continue;
                    }
                    int sourceX = flip ? W - 1 - (left + x) : left + x;
                    classes[p].Should().Be(mask[y * W + sourceX]);
                    image[p].Should().Be(mask[y * W + sourceX] * 50 + 10);
                    image[64 * 64 + p].Should().Be(sourceX + 1);
                    image[2 * 64 * 64 + p].Should().Be(y + 1);
                }
            }
        }
    }

    [Fact]
    public void The_shorter_side_is_resized_as_torchvision_with_the_longer_truncated()
    {
        RandomResize.ShorterSideTo(30, 45, 40).Should().Be((40, 60));
        RandomResize.ShorterSideTo(45, 31, 40).Should().Be((58, 40));
        using var sample = PairedSample.ForSegmentation(zeros(3, 30, 45), ones(30, 45, ScalarType.Byte));
        using var resized = RandomResize.Resize(sample, 40);
        resized.Image.shape.Should().Equal(3, 40, 60);
        resized.ClassMask!.shape.Should().Equal(40, 60);
        resized.ClassMask.dtype.Should().Be(ScalarType.Byte);
        resized.ClassMask.eq(ones(1, ScalarType.Byte)).all().item<bool>().Should().BeTrue();
    }

    [Fact]
    public void A_class_mask_that_is_not_the_images_integer_plane_is_refused()
    {
        using var image = zeros(3, 4, 5);
        using var wrongSize = zeros(4, 6, ScalarType.Int64);
        using var floats = zeros(4, 5);

        var size = () => PairedSample.ForSegmentation(image, wrongSize);
        var type = () => PairedSample.ForSegmentation(image, floats);

        size.Should().Throw<ArgumentException>().WithMessage("Expected the class mask as integer [4, 5] (the image's size), got Int64 [4, 6]. (Parameter 'classMask')");
        type.Should().Throw<ArgumentException>().WithMessage("Expected the class mask as integer [4, 5] (the image's size), got Float32 [4, 5]. (Parameter 'classMask')");
    }
}
