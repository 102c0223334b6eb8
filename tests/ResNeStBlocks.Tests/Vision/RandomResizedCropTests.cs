using System;
using System.Linq;
using FluentAssertions;
using ResNeStBlocks.Preprocessing;
using ResNeStBlocks.Vision;
using Xunit;
using static TorchSharp.torch;

namespace ResNeStBlocks.Tests.Vision;

/// <summary>timm's RandomResizedCrop window and the classification training transform built on it.</summary>
public sealed class RandomResizedCropTests
{
    [Fact]
    public void Random_resized_crops_stay_inside_the_image_within_timms_area_and_ratio_ranges()
    {
        var crop = new RandomResizedCrop();
        var random = new Random(5);
        for (int i = 0; i < 2000; i++)
        {
            int height = random.Next(20, 200), width = random.Next(20, 200);
            var w = crop.Sample(height, width, random);
            (w.Top >= 0 && w.Left >= 0 && w.Top + w.Height <= height && w.Left + w.Width <= width).Should().BeTrue($"{w} in {height}x{width}");
            if (w == crop.CenterFallback(height, width))
                continue;
            // Rounding each side to whole pixels moves the area and ratio a little past the drawn values.
            double area = (double)w.Height * w.Width / (height * width);
            area.Should().BeInRange(0.08 * 0.8, 1.0);
            ((double)w.Width / w.Height).Should().BeInRange(0.75 * 0.8, 4.0 / 3 * 1.25);
        }
    }

    [Fact]
    public void When_no_try_fits_the_crop_is_the_centre_at_the_nearest_allowed_ratio()
    {
        // Every try needs the whole area at a ratio of at most 4/3, which a 10 x 100 image cannot give.
        var crop = new RandomResizedCrop(MinScale: 1, MaxScale: 1);

        crop.Sample(10, 100, new Random(1)).Should().Be(new CropWindow(0, 43, 10, 13));
        crop.Sample(100, 10, new Random(1)).Should().Be(new CropWindow(43, 0, 13, 10));
        crop.CenterFallback(30, 36).Should().Be(new CropWindow(0, 0, 30, 36));
    }

    [Fact]
    public void The_classification_transform_gives_the_input_size_and_depends_on_the_seed_only()
    {
        using var image = randint(0, 256, new long[] { 40, 30, 3 }, ScalarType.Byte, generator: new Generator(3));
        var transform = new ClassificationTrainTransform(16, Interpolation.Bicubic, ImagePreprocessor.ImageNetMean, ImagePreprocessor.ImageNetStd, ColorJitter: 0.4);

        using var first = transform.Apply(image, new Random(7));
        using var again = transform.Apply(image, new Random(7));
        using var other = transform.Apply(image, new Random(8));

        first.shape.Should().Equal(3, 16, 16);
        first.dtype.Should().Be(ScalarType.Float32);
        first.data<float>().ToArray().Should().Equal(again.data<float>().ToArray());
        first.data<float>().ToArray().Should().NotEqual(other.data<float>().ToArray());
        var wrong = () => transform.Apply(zeros(3, 40, 30, ScalarType.Byte), new Random(1));
        wrong.Should().Throw<ArgumentException>().WithMessage("Expected an RGB image [H, W, 3], got [3, 40, 30]. (Parameter 'image')");
    }

    [Fact]
    public void Empty_images_and_ranges_are_refused()
    {
        var empty = () => new RandomResizedCrop().Sample(0, 10, new Random(1));
        var ranges = () => new RandomResizedCrop(MinScale: 0.5, MaxScale: 0.2).Sample(10, 10, new Random(1));

        empty.Should().Throw<ArgumentOutOfRangeException>().WithMessage("Expected an image of at least 1 x 1 pixels, got 0 x 10.*");
        ranges.Should().Throw<ArgumentOutOfRangeException>().WithMessage("Expected 0 < MinScale <= MaxScale and 0 < MinRatio <= MaxRatio, got MinScale=0.5, MaxScale=0.2, *");
    }
}
