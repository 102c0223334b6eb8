using System;
using System.Linq;
using FluentAssertions;
using ResNeStBlocks.Detection.Models;
using ResNeStBlocks.Vision;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace ResNeStBlocks.Tests.Vision;

public sealed class PairedTransformTests
{
    /// <summary>A black 3 x H x W image with filled rectangles (value 1) at the boxes, and one mask per box.</summary>
    private static PairedSample Scene(int height, int width, params (int X1, int Y1, int X2, int Y2)[] boxes)
    {
        var pixels = new float[3 * height * width];
        var masks = new byte[boxes.Length * height * width];
        for (int k = 0; k < boxes.Length; k++)
            for (int y = boxes[k].Y1; y < boxes[k].Y2; y++)
                for (int x = boxes[k].X1; x < boxes[k].X2; x++)
                {
                    masks[(k * height + y) * width + x] = 1;
                    for (int c = 0; c < 3; c++)
                        pixels[(c * height + y) * width + x] = 1;
                }
        var corners = boxes.SelectMany(b => new float[] { b.X1, b.Y1, b.X2, b.Y2 }).ToArray();
        var labels = Enumerable.Range(1, boxes.Length).Select(i => (long)i).ToArray();
        return new PairedSample(tensor(pixels, new long[] { 3, height, width }),
            new DetectionTarget(tensor(corners, new long[] { boxes.Length, 4 }), tensor(labels), tensor(masks, new long[] { boxes.Length, height, width })));
    }

    /// <summary>The bounding box (x1, y1, x2 exclusive, y2 exclusive) of the pixels above 0.5 in a [H, W] plane.</summary>
    private static float[] Bounds(Tensor plane)
    {
        var values = plane.to(ScalarType.Float32).contiguous().data<float>().ToArray();
        int h = (int)plane.shape[0], w = (int)plane.shape[1];
        int x1 = int.MaxValue, y1 = int.MaxValue, x2 = -1, y2 = -1;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                if (values[y * w + x] > 0.5f)
                    (x1, y1, x2, y2) = (Math.Min(x1, x), Math.Min(y1, y), Math.Max(x2, x + 1), Math.Max(y2, y + 1));
        return new float[] { x1, y1, x2, y2 };
    }

    /// <summary>Each box equals the bounding box of its mask's pixels, and the image's rectangle is the union of them.</summary>
    private static void AssertAligned(PairedSample sample)
    {
        var boxes = sample.Target.Boxes.data<float>().ToArray();
        int k = (int)sample.Target.Boxes.shape[0];
        k.Should().BeGreaterThan(0);
        for (int i = 0; i < k; i++)
        {
            using var mask = sample.Target.Masks![i];
            Bounds(mask).Should().Equal(boxes.Skip(4 * i).Take(4), $"box {i} must be its mask's bounding box");
        }
        using var channel = sample.Image[0];
        var union = new float[] { boxes.Where((_, j) => j % 4 == 0).Min(), boxes.Where((_, j) => j % 4 == 1).Min(), boxes.Where((_, j) => j % 4 == 2).Max(), boxes.Where((_, j) => j % 4 == 3).Max() };
        Bounds(channel).Should().Equal(union, "the image's rectangle pixels must lie exactly in the boxes");
    }

    [Fact]
    public void Flip_moves_box_image_and_mask_together()
    {
        using var scene = Scene(20, 30, (3, 4, 11, 9));
        using var flipped = HorizontalFlip.Flip(scene);

        flipped.Target.Boxes.data<float>().ToArray().Should().Equal(19, 4, 27, 9);
        AssertAligned(flipped);
    }

    [Fact]
    public void Flip_probability_decides_per_draw()
    {
        using var scene = Scene(20, 30, (3, 4, 11, 9));
        using var never = new HorizontalFlip(0).Apply(scene, new Random(1));
        using var always = new HorizontalFlip(1).Apply(scene, new Random(1));

        never.Target.Boxes.data<float>().ToArray().Should().Equal(3, 4, 11, 9);
        always.Target.Boxes.data<float>().ToArray().Should().Equal(19, 4, 27, 9);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void Upscaling_by_an_integer_keeps_boxes_on_the_pixels(int factor)
    {
        using var scene = Scene(16, 20, (3, 4, 11, 9), (12, 1, 19, 15));
        using var scaled = new RandomScale(factor, factor).Apply(scene, new Random(0));

        (scaled.Height, scaled.Width).Should().Be((16 * factor, 20 * factor));
        scaled.Target.Boxes.data<float>().ToArray().Should().Equal(new float[] { 3, 4, 11, 9, 12, 1, 19, 15 }.Select(v => v * factor));
        AssertAligned(scaled);
    }

    [Fact]
    public void Halving_keeps_even_boxes_on_the_pixels()
    {
        using var scene = Scene(16, 20, (2, 4, 10, 8), (12, 0, 18, 14));
        using var scaled = RandomScale.Resize(scene, 8, 10);

        scaled.Target.Boxes.data<float>().ToArray().Should().Equal(1, 2, 5, 4, 6, 0, 9, 7);
        AssertAligned(scaled);
    }

    [Fact]
    public void Crop_clips_boxes_and_removes_those_outside_with_their_labels_and_masks()
    {
        using var scene = Scene(20, 30, (2, 3, 9, 12), (20, 2, 28, 6), (12, 10, 16, 19));
        using var cropped = RandomCrop.Crop(scene, top: 5, left: 4, height: 12, width: 14);

        cropped.Target.Boxes.data<float>().ToArray().Should().Equal(0, 0, 5, 7, 8, 5, 12, 12);
        cropped.Target.Labels.data<long>().ToArray().Should().Equal(1, 3);
        cropped.Target.Masks!.shape.Should().Equal(2, 12, 14);
        AssertAligned(cropped);
    }

    [Fact]
    public void Random_crops_are_seeded_and_stay_aligned()
    {
        using var scene = Scene(20, 30, (2, 3, 25, 18));
        using var a = new RandomCrop(10, 12).Apply(scene, new Random(7));
        using var b = new RandomCrop(10, 12).Apply(scene, new Random(7));

        a.Target.Boxes.data<float>().ToArray().Should().Equal(b.Target.Boxes.data<float>().ToArray());
        AssertAligned(a);
    }

    [Fact]
    public void Composed_geometry_stays_aligned_and_photometric_jitter_touches_only_the_image()
    {
        using var scene = Scene(16, 20, (3, 4, 11, 9), (12, 1, 19, 15));
        var pipeline = new Compose(new HorizontalFlip(1), new RandomScale(2, 2), new RandomCrop(24, 30));
        using var result = pipeline.Apply(scene, new Random(3));
        AssertAligned(result);

        using var jittered = new PhotometricJitter(0.4, 0.4, 0.4).Apply(scene, new Random(5));
        using var again = new PhotometricJitter(0.4, 0.4, 0.4).Apply(scene, new Random(5));
        jittered.Target.Boxes.data<float>().ToArray().Should().Equal(3, 4, 11, 9, 12, 1, 19, 15);
        scene.Image.allclose(jittered.Image).Should().BeFalse();
        again.Image.allclose(jittered.Image, rtol: 0, atol: 0).Should().BeTrue();
        jittered.Image.min().item<float>().Should().BeGreaterThanOrEqualTo(0);
        jittered.Image.max().item<float>().Should().BeLessThanOrEqualTo(1);
    }

    [Fact]
    public void Brightness_alone_scales_by_the_drawn_factor()
    {
        using var scene = Scene(4, 4, (0, 0, 2, 2));
        var random = new Random(11);
        double factor = 0.5 + random.NextDouble();
        using var result = new PhotometricJitter(0.5, 0, 0).Apply(scene, new Random(11));

        result.Image[0, 0, 0].item<float>().Should().BeApproximately((float)Math.Min(1, factor), 1e-6f);
    }

    [Fact]
    public void A_mask_of_the_wrong_size_is_named()
    {
        using var image = zeros(3, 8, 8);
        using var boxes = zeros(1, 4);
        using var labels = ones(1, ScalarType.Int64);
        using var masks = zeros(1, 8, 9, ScalarType.Byte);
        var sample = new PairedSample(image, new DetectionTarget(boxes, labels, masks));

        FluentActions.Invoking(() => HorizontalFlip.Flip(sample)).Should().Throw<ArgumentException>()
            .Which.Message.Should().Be("Expected masks [1, 8, 8] (one per box, the image's size), got [1, 8, 9]. (Parameter 'sample')");
    }
}
