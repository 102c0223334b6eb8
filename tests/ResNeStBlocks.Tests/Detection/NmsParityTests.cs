using System;
using System.Collections.Generic;
using System.Linq;
using FluentAssertions;
using ResNeStBlocks.Detection;
using ResNeStBlocks.Testing;
using Xunit;
using static TorchSharp.torch;

namespace ResNeStBlocks.Tests.Detection;

/// <summary>
/// Nms and BatchedNms against torchvision 0.14's compiled nms and its coordinate-trick batched_nms
/// (detection/nms.safetensors): the kept indices and their order must be identical.
/// </summary>
public class NmsParityTests
{
    public static IEnumerable<object[]> NmsCases() => DetectionFixtures.Of("nms");

    public static IEnumerable<object[]> BatchedCases() => DetectionFixtures.Of("batched_nms");

    [Theory]
    [MemberData(nameof(NmsCases))]
    public void Nms_keeps_torchvisions_indices_in_its_order(string name)
    {
        var c = DetectionFixtures.Case(name);
        var t = c.Load();
        using var keep = BoxOps.Nms(t["boxes"], t["scores"], c.Double("iou_threshold"));
        keep.dtype.Should().Be(ScalarType.Int64);
        keep.data<long>().ToArray().Should().Equal(t["keep"].data<long>().ToArray());
    }

    [Theory]
    [MemberData(nameof(BatchedCases))]
    public void Batched_nms_keeps_torchvisions_indices_in_its_order(string name)
    {
        var c = DetectionFixtures.Case(name);
        var t = c.Load();
        using var keep = BoxOps.BatchedNms(t["boxes"], t["scores"], t["idxs"], c.Double("iou_threshold"));
        keep.dtype.Should().Be(ScalarType.Int64);
        keep.data<long>().ToArray().Should().Equal(t["keep"].data<long>().ToArray());
    }

    [Theory]
    [MemberData(nameof(NmsCases))]
    public void The_device_matrix_path_keeps_torchvisions_indices(string name)
    {
        // The path GPUs take (packed suppression matrix, one transfer), run here on the CPU.
        var c = DetectionFixtures.Case(name);
        var t = c.Load();
        using var keep = BoxOps.Suppress(t["boxes"], t["scores"], c.Double("iou_threshold"), deviceMatrix: true);
        keep.data<long>().ToArray().Should().Equal(t["keep"].data<long>().ToArray());
    }

    [Theory]
    [MemberData(nameof(BatchedCases))]
    public void The_device_matrix_path_of_batched_nms_keeps_torchvisions_indices(string name)
    {
        var c = DetectionFixtures.Case(name);
        var t = c.Load();
        using var keep = BoxOps.BatchedNms(t["boxes"], t["scores"], t["idxs"], c.Double("iou_threshold"), deviceMatrix: true);
        keep.data<long>().ToArray().Should().Equal(t["keep"].data<long>().ToArray());
    }

    [Fact]
    public void The_fixtures_hold_the_edge_cases()
    {
        var names = NmsCases().Select(r => (string)r[0]).ToList();
        names.Should().Contain(new[] { "ties", "all_tied", "iou_at_threshold_0.5", "iou_at_threshold_0.75", "empty", "zero_area", "many", "many_quantised", "float32" });
        // IoU exactly at the threshold survives (suppression needs IoU > threshold); just below it, it does not.
        DetectionFixtures.Case("iou_at_threshold_0.5").Load()["keep"].data<long>().ToArray().Should().Equal(0, 2, 3);
        DetectionFixtures.Case("iou_below_threshold_0.5").Load()["keep"].data<long>().ToArray().Should().Equal(0, 2);
        // Equal scores: the stable descending sort visits the earlier index first.
        DetectionFixtures.Case("ties").Load()["keep"].data<long>().ToArray().Should().Equal(2, 3, 6);
    }

    [Fact]
    public void More_than_64_boxes_cross_word_boundaries_of_the_packed_mask()
    {
        // 130 identical boxes with descending scores: the first suppresses all the others, across three words.
        using var boxes = tensor(Enumerable.Repeat(new double[] { 0, 0, 10, 10 }, 130).SelectMany(b => b).ToArray(), new long[] { 130, 4 });
        using var scores = linspace(1.0, 0.0, 130, ScalarType.Float64);
        using var keep = BoxOps.Suppress(boxes, scores, 0.5, deviceMatrix: true);
        keep.data<long>().ToArray().Should().Equal(0L);
        using var sequential = BoxOps.Nms(boxes, scores, 0.5);
        sequential.data<long>().ToArray().Should().Equal(0L);
    }

    [Fact]
    public void Mismatched_inputs_are_refused_with_the_fix()
    {
        using var boxes = zeros(3, 4);
        using var scores = zeros(2);
        FluentActions.Invoking(() => BoxOps.Nms(boxes, scores, 0.5)).Should().Throw<ArgumentException>()
            .WithParameterName("scores").WithMessage("scores must have shape [3] (one value per box of boxes), got [2].*");
        using var scores64 = zeros(3, ScalarType.Float64);
        FluentActions.Invoking(() => BoxOps.Nms(boxes, scores64, 0.5)).Should().Throw<ArgumentException>()
            .WithParameterName("scores").WithMessage("scores (Float64) must have the dtype of boxes (Float32).*");
        using var floatCategories = zeros(3);
        using var scores32 = zeros(3);
        FluentActions.Invoking(() => BoxOps.BatchedNms(boxes, scores32, floatCategories, 0.5)).Should().Throw<ArgumentException>()
            .WithParameterName("categories");
        FluentActions.Invoking(() => BoxOps.Nms(boxes, scores32, double.NaN)).Should().Throw<ArgumentOutOfRangeException>()
            .WithParameterName("iouThreshold");
    }
}
