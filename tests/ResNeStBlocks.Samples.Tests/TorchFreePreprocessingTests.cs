using System;
using System.IO;
using System.Linq;
using FluentAssertions;
using ResNeStBlocks.Preprocessing;
using ResNeStBlocks.Samples.OnnxImages;
using ResNeStBlocks.Testing;
using Xunit;
using static TorchSharp.torch;

namespace ResNeStBlocks.Samples.Tests;

/// <summary>The deployment sample's torch-free preprocessing against the library's <see cref="ImagePreprocessor"/>.</summary>
public class TorchFreePreprocessingTests
{
    [Theory]
    [InlineData(224, 0.875, false)]
    [InlineData(288, 0.95, true)]
    public void Photo_preprocessing_equals_the_library(int size, double crop, bool bicubic)
    {
        var image = ImageFiles.Decode(Fixtures.File("data", "chelsea.png"));
        AssertEqual(image.Data, image.Height, image.Width, size, crop, bicubic);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Upscaled_odd_sized_image_equals_the_library(bool bicubic)
    {
        var random = new Random(5);
        var pixels = new byte[37 * 53 * 3];
        random.NextBytes(pixels);
        AssertEqual(pixels, 37, 53, 64, 0.875, bicubic);
    }

    [Fact]
    public void Metadata_of_an_export_gives_the_pretrained_preprocessing()
    {
        var metadata = new System.Collections.Generic.Dictionary<string, string>
        {
            ["input_size"] = "3,320,320", ["crop_pct"] = "0.909", ["interpolation"] = "bicubic",
            ["mean"] = "0.485,0.456,0.406", ["std"] = "0.229,0.224,0.225",
        };
        var preprocessor = RgbPreprocessor.FromMetadata(metadata);
        preprocessor.InputSize.Should().Be(320);
        preprocessor.ResizeSize.Should().Be(352);
        preprocessor.Bicubic.Should().BeTrue();
        metadata.Remove("crop_pct");
        var act = () => RgbPreprocessor.FromMetadata(metadata);
        act.Should().Throw<System.Collections.Generic.KeyNotFoundException>()
            .WithMessage("The model's metadata has no 'crop_pct': export it with OnnxExportOptions.Pretrained set.");
    }

    private static void AssertEqual(byte[] pixels, int height, int width, int size, double crop, bool bicubic)
    {
        var mean = ImagePreprocessor.ImageNetMean;
        var std = ImagePreprocessor.ImageNetStd;
        var actual = new RgbPreprocessor(size, crop, bicubic, mean, std).Process(pixels, height, width);
        using var scope = NewDisposeScope();
        var library = new ImagePreprocessor(size, crop, bicubic ? Interpolation.Bicubic : Interpolation.Bilinear, mean, std);
        var expected = library.Process(tensor(pixels, new long[] { height, width, 3 }, ScalarType.Byte));
        // Both round to 8 bits after each resize pass; float32 sums in another order may land a value on the other
        // side of a rounding boundary, one 8-bit level (1 / 255 / std), for a few pixels at most.
        var actualTensor = tensor(actual, new long[] { 3, size, size });
        var diff = (actualTensor - expected).abs();
        double oneLevel = 1.0 / 255 / std.Min() + 1e-5;
        diff.max().item<float>().Should().BeLessThanOrEqualTo((float)oneLevel);
        double differing = (diff > 1e-5).sum().item<long>() / (double)diff.numel();
        differing.Should().BeLessThan(1e-3, "all but a few values must be equal");
    }
}
