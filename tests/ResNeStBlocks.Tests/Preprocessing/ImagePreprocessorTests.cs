using System;
using System.Collections.Generic;
using System.Linq;
using FluentAssertions;
using ResNeStBlocks.Preprocessing;
using ResNeStBlocks.Testing;
using ResNeStBlocks.Weights;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace ResNeStBlocks.Tests.Preprocessing;

public class ImagePreprocessorTests
{
    private readonly ITestOutputHelper output;

    public ImagePreprocessorTests(ITestOutputHelper output) => this.output = output;

    /// <summary>The keys of data/preprocess_reference.safetensors with timm's pretrained configs for them.</summary>
    public static IEnumerable<object[]> References() => new[]
    {
        new object[] { "resnest50d", "chelsea.png", 224, 0.875, Interpolation.Bilinear },
        new object[] { "resnest50d", "coffee.png", 224, 0.875, Interpolation.Bilinear },
        new object[] { "resnest269e", "chelsea.png", 416, 0.928, Interpolation.Bicubic },
        new object[] { "resnest269e", "coffee.png", 416, 0.928, Interpolation.Bicubic },
    };

    private static ImagePreprocessor Create(int inputSize, double cropFraction, Interpolation interpolation) =>
        new(inputSize, cropFraction, interpolation, ImagePreprocessor.ImageNetMean, ImagePreprocessor.ImageNetStd);

    [Theory]
    [MemberData(nameof(References))]
    public void Eight_bit_images_match_timm_eval_transform(string model, string file, int inputSize, double cropFraction, Interpolation interpolation)
    {
        using var scope = NewDisposeScope();
        var reference = SafeTensors.Load(Fixtures.File("data", "preprocess_reference.safetensors"))[$"{model}/{file}"];
        var image = PngImage.LoadRgb(Fixtures.File("data", file));

        var result = Create(inputSize, cropFraction, interpolation).Process(image);

        result.dtype.Should().Be(ScalarType.Float32);
        result.shape.Should().Equal(3, inputSize, inputSize);
        double meanAbsDiff = (result - reference).abs().mean().item<float>();
        double maxAbsDiff = (result - reference).abs().max().item<float>();
        output.WriteLine($"{model}/{file}: mean |diff| = {meanAbsDiff:E3}, max |diff| = {maxAbsDiff:E3}");
        meanAbsDiff.Should().BeLessOrEqualTo(0.02, "the fixture README's bound for a faithful implementation");
        // The PIL-order resampling (8-bit rounding between passes) measures ~1e-5 here; a single float pass ~5e-3.
        meanAbsDiff.Should().BeLessOrEqualTo(1e-3, "8-bit images are resampled in PIL's order");
    }

    [Theory]
    [MemberData(nameof(References))]
    public void Floating_point_images_in_unit_range_match_within_the_fixture_tolerance(
        string model, string file, int inputSize, double cropFraction, Interpolation interpolation)
    {
        using var scope = NewDisposeScope();
        var reference = SafeTensors.Load(Fixtures.File("data", "preprocess_reference.safetensors"))[$"{model}/{file}"];
        var image = PngImage.LoadRgb(Fixtures.File("data", file)).permute(2, 0, 1).to(ScalarType.Float64) / 255;

        var result = Create(inputSize, cropFraction, interpolation).Process(image);

        result.dtype.Should().Be(ScalarType.Float32);
        result.shape.Should().Equal(3, inputSize, inputSize);
        double meanAbsDiff = (result - reference).abs().mean().item<float>();
        output.WriteLine($"{model}/{file} (float input): mean |diff| = {meanAbsDiff:E3}");
        meanAbsDiff.Should().BeLessOrEqualTo(0.02);
    }

    [Theory]
    [InlineData(224, 0.875, 256)]
    [InlineData(416, 0.928, 448)] // 448.27...
    [InlineData(288, 1.0, 288)]
    [InlineData(320, 0.95, 336)]  // 336.84...
    public void Resize_size_is_floor_of_input_size_over_crop_fraction(int inputSize, double cropFraction, int expected)
    {
        Create(inputSize, cropFraction, Interpolation.Bilinear).ResizeSize.Should().Be(expected);
    }

    [Theory]
    [InlineData(300, 451, 256, 384)] // landscape: int(256 * 451 / 300) = int(384.85)
    [InlineData(451, 300, 384, 256)] // portrait
    [InlineData(400, 600, 256, 384)]
    [InlineData(500, 500, 256, 256)]
    public void Shorter_side_is_resized_and_longer_side_truncated_as_torchvision_does(long height, long width, long newHeight, long newWidth)
    {
        Create(224, 0.875, Interpolation.Bilinear).ResizedSize(height, width).Should().Be((newHeight, newWidth));
    }

    [Theory]
    [InlineData(4, 9, 0, 2)] // left = round(2.5) = 2: half to even, as Python's round
    [InlineData(4, 7, 0, 2)] // left = round(1.5) = 2
    [InlineData(9, 4, 2, 0)] // top = round(2.5) = 2
    public void Center_crop_origin_rounds_half_to_even(long height, long width, long top, long left)
    {
        using var scope = NewDisposeScope();
        // With cropFraction 1 and inputSize = shorter side the resize is the identity, so the output is the crop.
        var image = arange(3 * height * width, ScalarType.Float32).view(3, height, width) / (3 * height * width);
        var identity = new ImagePreprocessor(4, 1.0, Interpolation.Bilinear, new[] { 0f, 0f, 0f }, new[] { 1f, 1f, 1f });

        var result = identity.Process(image);

        TensorAssert.Close(result, image.narrow(1, top, 4).narrow(2, left, 4), 1e-6, 0, "crop");
    }

    [Fact]
    public void Normalisation_subtracts_mean_and_divides_by_std_per_channel()
    {
        using var scope = NewDisposeScope();
        var image = full(new long[] { 6, 6, 3 }, (byte)51, ScalarType.Byte); // 51 / 255 = 0.2
        var preprocessor = new ImagePreprocessor(4, 1.0, Interpolation.Bicubic, new[] { 0.1f, 0.2f, 0.3f }, new[] { 0.5f, 0.25f, 0.1f });

        var result = preprocessor.Process(image);

        result.shape.Should().Equal(3, 4, 4);
        var expected = tensor(new[] { (0.2f - 0.1f) / 0.5f, 0f, (0.2f - 0.3f) / 0.1f }).view(3, 1, 1).expand(3, 4, 4);
        TensorAssert.Close(result, expected, 1e-5, 0, "normalised constant image");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-224)]
    public void Non_positive_input_size_is_rejected(int inputSize)
    {
        FluentActions.Invoking(() => Create(inputSize, 0.875, Interpolation.Bilinear))
            .Should().Throw<ArgumentOutOfRangeException>().WithParameterName("inputSize")
            .WithMessage($"inputSize must be at least 1, got {inputSize}.*");
    }

    [Theory]
    [InlineData(0.0, "0")]
    [InlineData(-0.5, "-0.5")]
    [InlineData(1.5, "1.5")]
    [InlineData(double.NaN, "NaN")]
    public void Crop_fraction_outside_zero_to_one_is_rejected(double cropFraction, string shown)
    {
        FluentActions.Invoking(() => Create(224, cropFraction, Interpolation.Bilinear))
            .Should().Throw<ArgumentOutOfRangeException>().WithParameterName("cropFraction")
            .WithMessage($"cropFraction must be in (0, 1], got {shown}.*");
    }

    [Fact]
    public void Undefined_interpolation_is_rejected()
    {
        FluentActions.Invoking(() => Create(224, 0.875, (Interpolation)7))
            .Should().Throw<ArgumentOutOfRangeException>().WithParameterName("interpolation")
            .WithMessage("interpolation must be Bilinear or Bicubic, got 7.*");
    }

    [Fact]
    public void Mean_and_std_need_three_values()
    {
        var three = new[] { 0.5f, 0.5f, 0.5f };
        FluentActions.Invoking(() => new ImagePreprocessor(224, 0.875, Interpolation.Bilinear, new[] { 0.5f, 0.5f }, three))
            .Should().Throw<ArgumentException>().WithParameterName("mean")
            .WithMessage("mean must have 3 values (R, G, B), got 2. (Parameter 'mean')");
        FluentActions.Invoking(() => new ImagePreprocessor(224, 0.875, Interpolation.Bilinear, three, new[] { 1f, 1f, 1f, 1f }))
            .Should().Throw<ArgumentException>().WithParameterName("std")
            .WithMessage("std must have 3 values (R, G, B), got 4. (Parameter 'std')");
        FluentActions.Invoking(() => new ImagePreprocessor(224, 0.875, Interpolation.Bilinear, null!, three))
            .Should().Throw<ArgumentNullException>().WithParameterName("mean");
        FluentActions.Invoking(() => new ImagePreprocessor(224, 0.875, Interpolation.Bilinear, three, new[] { 1f, 0f, 1f }))
            .Should().Throw<ArgumentOutOfRangeException>().WithParameterName("std")
            .WithMessage("std values must be positive and finite, got 0 for channel 1.*");
    }

    [Fact]
    public void Images_of_the_wrong_rank_channels_or_dtype_are_rejected()
    {
        using var scope = NewDisposeScope();
        var preprocessor = Create(8, 1.0, Interpolation.Bilinear);

        FluentActions.Invoking(() => preprocessor.Process(null!))
            .Should().Throw<ArgumentNullException>().WithParameterName("image");
        FluentActions.Invoking(() => preprocessor.Process(zeros(new long[] { 1, 3, 8, 8 })))
            .Should().Throw<ArgumentException>().WithParameterName("image")
            .WithMessage("image must be 3-D: [height, width, 3] uint8 or [3, height, width] floating point, got shape [1, 3, 8, 8]. (Parameter 'image')");
        FluentActions.Invoking(() => preprocessor.Process(zeros(new long[] { 8, 8, 4 }, ScalarType.Byte)))
            .Should().Throw<ArgumentException>().WithParameterName("image")
            .WithMessage("A uint8 image must be [height, width, 3] (RGB), got shape [8, 8, 4]. (Parameter 'image')");
        FluentActions.Invoking(() => preprocessor.Process(zeros(new long[] { 8, 8, 3 })))
            .Should().Throw<ArgumentException>().WithParameterName("image")
            .WithMessage("A floating-point image must be [3, height, width] (RGB), got shape [8, 8, 3]. (Parameter 'image')");
        FluentActions.Invoking(() => preprocessor.Process(zeros(new long[] { 3, 8, 8 }, ScalarType.Int32)))
            .Should().Throw<ArgumentException>().WithParameterName("image")
            .WithMessage("image must be uint8 or floating point, got Int32. (Parameter 'image')");
        FluentActions.Invoking(() => preprocessor.Process(zeros(new long[] { 0, 8, 3 }, ScalarType.Byte)))
            .Should().Throw<ArgumentException>().WithParameterName("image")
            .WithMessage("image must not be empty, got shape [0, 8, 3]. (Parameter 'image')");
    }
}
