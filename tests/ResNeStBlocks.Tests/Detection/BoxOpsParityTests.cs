using System;
using System.Collections.Generic;
using System.Linq;
using FluentAssertions;
using ResNeStBlocks.Detection;
using ResNeStBlocks.Testing;
using Xunit;
using static TorchSharp.torch;

namespace ResNeStBlocks.Tests.Detection;

/// <summary>The box helpers against torchvision 0.14's <c>torchvision.ops.boxes</c> (detection/boxes.safetensors).</summary>
public class BoxOpsParityTests
{
    // float64 references: the same formula in the same dtype agrees to the last bits.
    private const double Tight = 1e-12;

    [Fact]
    public void Area_equals_torchvision()
    {
        var t = DetectionFixtures.Case("area").Load();
        using var area = BoxOps.BoxArea(t["boxes"]);
        TensorAssert.Close(area, t["area"], Tight, 0, "box_area");
    }

    [Theory]
    [InlineData("iou", 1e-12)]
    [InlineData("iou_float32", 1e-6)]
    public void Iou_equals_torchvision_nan_included(string name, double atol)
    {
        var t = DetectionFixtures.Case(name).Load();
        using var iou = BoxOps.BoxIou(t["boxes1"], t["boxes2"]);
        iou.dtype.Should().Be(t["iou"].dtype);
        // Two empty boxes give 0 / 0 in torchvision too: the NaN pattern must agree before the values are compared.
        using var nanMine = iou.isnan();
        using var nanTheirs = t["iou"].isnan();
        nanMine.eq(nanTheirs).all().item<bool>().Should().BeTrue();
        nanMine.any().item<bool>().Should().BeTrue("the fixture holds degenerate pairs");
        using var zero = zeros_like(iou);
        TensorAssert.Close(iou.where(nanMine.logical_not(), zero), t["iou"].where(nanTheirs.logical_not(), zero), atol, 0, name);
    }

    [Fact]
    public void Generalized_iou_equals_torchvision()
    {
        var t = DetectionFixtures.Case("generalized_iou").Load();
        using var giou = BoxOps.GeneralizedBoxIou(t["boxes1"], t["boxes2"]);
        TensorAssert.Close(giou, t["giou"], Tight, 0, "generalized_box_iou");
    }

    [Theory]
    [InlineData("clip")]
    [InlineData("clip_batched")]
    public void Clip_equals_torchvision(string name)
    {
        var c = DetectionFixtures.Case(name);
        var t = c.Load();
        var size = c.Ints("size");
        using var clipped = BoxOps.ClipBoxesToImage(t["boxes"], size[0], size[1]);
        TensorAssert.Close(clipped, t["clipped"], 0, 0, name);
    }

    [Theory]
    [InlineData("remove_small_1.0")]
    [InlineData("remove_small_0.001")]
    [InlineData("remove_small_2.0")]
    public void Remove_small_keeps_torchvisions_indices(string name)
    {
        var c = DetectionFixtures.Case(name);
        var t = c.Load();
        using var keep = BoxOps.RemoveSmallBoxes(t["boxes"], c.Double("min_size"));
        keep.dtype.Should().Be(ScalarType.Int64);
        keep.data<long>().ToArray().Should().Equal(t["keep"].data<long>().ToArray());
    }

    public static IEnumerable<object[]> Conversions() => DetectionFixtures.Of("box_convert");

    [Theory]
    [MemberData(nameof(Conversions))]
    public void Convert_equals_torchvision(string name)
    {
        var c = DetectionFixtures.Case(name);
        var t = c.Load();
        using var converted = BoxOps.BoxConvert(t["boxes"], Format(c.String("in_fmt")), Format(c.String("out_fmt")));
        TensorAssert.Close(converted, t["converted"], Tight, 0, name);
    }

    [Fact]
    public void Every_format_pair_is_covered() =>
        Conversions().Should().HaveCount(9);

    [Fact]
    public void Bad_boxes_are_refused_before_any_native_call()
    {
        using var bad = zeros(3, 5);
        using var good = zeros(2, 4);
        FluentActions.Invoking(() => BoxOps.BoxIou(bad, good)).Should().Throw<ArgumentException>()
            .WithParameterName("boxes1").WithMessage("boxes1 must have shape [N, 4] (x1, y1, x2, y2 per box), got [3, 5].*");
        using var doubles = zeros(2, 4, ScalarType.Float64);
        FluentActions.Invoking(() => BoxOps.BoxIou(good, doubles)).Should().Throw<ArgumentException>()
            .WithParameterName("boxes2").WithMessage("boxes1 (Float32) and boxes2 (Float64) must have one dtype.*");
        FluentActions.Invoking(() => BoxOps.ClipBoxesToImage(good, -1, 3)).Should().Throw<ArgumentOutOfRangeException>()
            .WithParameterName("height");
    }

    private static BoxFormat Format(string name) => name switch
    {
        "xyxy" => BoxFormat.Xyxy,
        "xywh" => BoxFormat.Xywh,
        "cxcywh" => BoxFormat.Cxcywh,
        _ => throw new ArgumentException($"Unknown format '{name}' in the fixture.", nameof(name)),
    };
}
