using System;
using System.Collections.Generic;
using System.Linq;
using FluentAssertions;
using ResNeStBlocks.Detection;
using ResNeStBlocks.Testing;
using Xunit;
using static TorchSharp.torch;

namespace ResNeStBlocks.Tests.Detection;

/// <summary>The transform's arithmetic against torchvision 0.14's GeneralizedRCNNTransform (detection/transform.safetensors).</summary>
public class DetectionTransformTests
{
    public static IEnumerable<object[]> SizeCases() => DetectionFixtures.Of("resize_size");

    public static IEnumerable<object[]> BoxCases() => DetectionFixtures.Of("resize_boxes");

    public static IEnumerable<object[]> ImageCases() => DetectionFixtures.Of("resize_image");

    [Theory]
    [MemberData(nameof(ImageCases))]
    public void Images_resize_as_torchvision(string name)
    {
        var c = DetectionFixtures.Case(name);
        var t = c.Load();
        using var resized = DetectionTransform.ResizeImage(t["image"], c.Double("min_size"), c.Double("max_size"));
        resized.shape.Should().Equal(t["resized"].shape);
        TensorAssert.Close(resized, t["resized"], 1e-12, 1e-12, name);
    }

    [Fact]
    public void A_byte_image_is_refused_with_the_conversion()
    {
        using var image = zeros(new long[] { 3, 8, 8 }, ScalarType.Byte);
        FluentActions.Invoking(() => DetectionTransform.ResizeImage(image, 16, 32)).Should().Throw<ArgumentException>()
            .WithMessage("image must be a floating-point [C, H, W] tensor, got Byte [3, 8, 8]; convert a byte image with ImagePreprocessor or image.to(ScalarType.Float32).div(255) first.*");
    }

    [Theory]
    [MemberData(nameof(SizeCases))]
    public void Resized_sizes_equal_torchvision(string name)
    {
        var c = DetectionFixtures.Case(name);
        var sizes = c.Args.GetProperty("sizes").EnumerateArray().Select(e => (e[0].GetInt64(), e[1].GetInt64())).ToList();
        var resized = c.Args.GetProperty("resized").EnumerateArray().Select(e => (e[0].GetInt64(), e[1].GetInt64())).ToList();
        sizes.Select(s => DetectionTransform.ResizedSize(s.Item1, s.Item2, c.Double("min_size"), c.Double("max_size")))
            .Should().Equal(resized);
    }

    [Fact]
    public void The_float32_scale_makes_427_by_640_become_799_by_1199() =>
        DetectionTransform.ResizedSize(427, 640, 800, 1333).Should().Be((799L, 1199L));

    [Theory]
    [MemberData(nameof(BoxCases))]
    public void Boxes_map_between_sizes_as_torchvision(string name)
    {
        var c = DetectionFixtures.Case(name);
        var t = c.Load();
        var from = c.Ints("original");
        var to = c.Ints("new");
        using var resized = DetectionTransform.ResizeBoxes(t["boxes"], (from[0], from[1]), (to[0], to[1]));
        TensorAssert.Close(resized, t["resized"], 0, 0, name);
        using var resized32 = DetectionTransform.ResizeBoxes(t["boxes32"], (from[0], from[1]), (to[0], to[1]));
        TensorAssert.Close(resized32, t["resized32"], 0, 0, name + " float32");
    }

    [Fact]
    public void Batches_pad_to_multiples_of_32_as_torchvision()
    {
        var t = DetectionFixtures.Case("batch_images").Load();
        using var batch = DetectionTransform.BatchImages(new[] { t["image.0"], t["image.1"] });
        batch.shape.Should().Equal(2, 3, 64, 32);
        TensorAssert.Close(batch, t["batch"], 0, 0, "batch");
    }

    [Fact]
    public void A_size_torchvision_refuses_is_refused()
    {
        FluentActions.Invoking(() => DetectionTransform.ResizedSize(1, 999, 320, 448)).Should().Throw<ArgumentException>()
            .WithMessage("A 1 x 999 image resized for (320, 448) would be 0 x 448; torchvision refuses it too. Pad or crop the image first.*");
    }
}
