using System;
using System.Collections.Generic;
using System.Linq;
using FluentAssertions;
using ResNeStBlocks.Dense;
using ResNeStBlocks.Detection;
using ResNeStBlocks.Testing;
using Xunit;
using static TorchSharp.torch;

namespace ResNeStBlocks.Tests.Detection;

/// <summary>
/// RoiAlign against torchvision 0.14's compiled roi_align (detection/roi_align.safetensors), forward and backward, over
/// aligned and legacy coordinates, fixed and adaptive sampling, rois on and over the borders, tiny and inverted rois;
/// and MultiScaleRoIAlign against torchvision's (detection/poolers.safetensors).
/// </summary>
public class RoiAlignParityTests
{
    public static IEnumerable<object[]> Cases() => DetectionFixtures.Of("roi_align");

    public static IEnumerable<object[]> PoolerCases() => DetectionFixtures.Of("multi_scale_roi_align");

    [Theory]
    [MemberData(nameof(Cases))]
    public void Output_equals_torchvision(string name)
    {
        var c = DetectionFixtures.Case(name);
        var t = c.Load();
        var size = c.Ints("output_size");
        using var output = RoiOps.RoiAlign(t["input"], t["rois"], size[0], size[1], c.Double("spatial_scale"), c.Int("sampling_ratio"), c.Bool("aligned"));
        output.dtype.Should().Be(t["output"].dtype);
        output.shape.Should().Equal(t["output"].shape);
        if (output.numel() == 0)
            return;
        double atol = t["input"].dtype == ScalarType.Float32 ? 1e-5 : 1e-12;
        TensorAssert.Close(output, t["output"], atol, 0, name);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Gradient_with_respect_to_the_features_equals_torchvisions_backward(string name)
    {
        var c = DetectionFixtures.Case(name);
        var t = c.Load();
        if (!t.ContainsKey("grad_input"))
            return;
        var size = c.Ints("output_size");
        using var input = t["input"].detach().requires_grad_(true);
        using var output = RoiOps.RoiAlign(input, t["rois"], size[0], size[1], c.Double("spatial_scale"), c.Int("sampling_ratio"), c.Bool("aligned"));
        using var loss = output.mul(t["grad_weights"]).sum();
        loss.backward();
        TensorAssert.Close(input.grad!, t["grad_input"], 1e-12, 0, name + " gradient");
    }

    [Fact]
    public void The_grid_covers_both_alignments_and_sampling_rules()
    {
        var names = Cases().Select(r => (string)r[0]).ToList();
        foreach (var aligned in new[] { "aligned", "legacy" })
            foreach (var s in new[] { -1, 0, 1, 2, 3 })
                names.Should().Contain($"roi_align_{aligned}_s{s}");
        // The rois reach past every border and hit all three images.
        var rois = DetectionFixtures.Case("roi_align_legacy_s2").Load()["rois"];
        rois[.., 0].unique().Item1.data<double>().ToArray().Should().Equal(0, 1, 2);
        rois[.., 1].min().item<double>().Should().BeNegative();
        rois[.., 3].max().item<double>().Should().BeGreaterThan(13 / 0.5);
    }

    [Fact]
    public void Per_image_boxes_equal_the_roi_tensor()
    {
        var t = DetectionFixtures.Case("roi_align_aligned_s2").Load();
        var rois = t["rois"];
        var perImage = Enumerable.Range(0, 3).Select(i => rois[rois[.., 0].eq(i)][.., 1..]).ToList();
        using var joined = RoiOps.ToRoiFormat(perImage);
        using var byImage = RoiOps.RoiAlign(t["input"], perImage, 3, 2, 0.5, 2, aligned: true);
        using var byRois = RoiOps.RoiAlign(t["input"], joined, 3, 2, 0.5, 2, aligned: true);
        TensorAssert.Close(byImage, byRois, 0, 0, "per-image boxes");
        joined[.., 0].data<double>().ToArray().Should().Equal(0, 0, 0, 1, 1, 1, 2, 2, 2);
    }

    [Fact]
    public void Bad_rois_are_refused_with_the_fix()
    {
        using var input = zeros(1, 2, 5, 5);
        using var rois = zeros(3, 4);
        FluentActions.Invoking(() => RoiOps.RoiAlign(input, rois, 2, 2)).Should().Throw<ArgumentException>()
            .WithParameterName("rois").WithMessage("rois must have shape [K, 5] (batch index, x1, y1, x2, y2), got [3, 4]; build it from per-image boxes with RoiOps.ToRoiFormat.*");
        using var rois64 = zeros(3, 5, ScalarType.Float64);
        FluentActions.Invoking(() => RoiOps.RoiAlign(input, rois64, 2, 2)).Should().Throw<ArgumentException>()
            .WithParameterName("rois").WithMessage("rois (Float64) must have the dtype of input (Float32).*");
        using var good = zeros(3, 5);
        FluentActions.Invoking(() => RoiOps.RoiAlign(input, good, 0, 2)).Should().Throw<ArgumentOutOfRangeException>()
            .WithParameterName("outputHeight");
        FluentActions.Invoking(() => RoiOps.RoiAlign(input, good, 2, 2, spatialScale: 0)).Should().Throw<ArgumentOutOfRangeException>()
            .WithParameterName("spatialScale");
    }

    [Theory]
    [MemberData(nameof(PoolerCases))]
    public void Multi_scale_pooling_equals_torchvision(string name)
    {
        var c = DetectionFixtures.Case(name);
        var t = c.Load();
        var names = new[] { "0", "1", "2", "3", "pool" };
        using var pyramid = new FeatureMaps(names, names.Select(n => t["feature." + n]).ToList());
        var size = c.Ints("output_size");
        var pooler = new MultiScaleRoIAlign(c.Strings("featmap_names"), size[0], size[1], c.Int("sampling_ratio"));
        var boxes = new[] { t["boxes.0"], t["boxes.1"] };
        var sizes = c.Args.GetProperty("image_sizes").EnumerateArray().Select(e => (e[0].GetInt64(), e[1].GetInt64())).ToList();
        using var output = pooler.Pool(pyramid, boxes, sizes);
        TensorAssert.Close(output, t["output"], 1e-12, 0, name);

        var scales = c.Doubles("scales");
        pooler.FeatureNames.Select((n, i) => MultiScaleRoIAlign.InferScale(t["feature." + n].size(2), 128)).Should().Equal(scales);
        if (c.Has("k_min"))
        {
            var mapper = pooler.Mapper(scales);
            mapper.KMin.Should().Be(c.Int("k_min"));
            mapper.KMax.Should().Be(c.Int("k_max"));
            using var levels = mapper.Map(boxes);
            levels.data<long>().ToArray().Should().Equal(t["levels"].data<long>().ToArray());
            levels.unique().Item1.numel().Should().BeGreaterThan(1, "the boxes reach several levels");
        }
    }

    [Fact]
    public void A_missing_level_is_named()
    {
        using var pyramid = FeatureMaps.Numbered(new[] { zeros(1, 2, 8, 8) });
        var pooler = new MultiScaleRoIAlign(new[] { "0", "1" }, 7, 7, 2);
        FluentActions.Invoking(() => pooler.Pool(pyramid, new[] { zeros(1, 4) }, new[] { (32L, 32L) })).Should().Throw<ArgumentException>()
            .WithParameterName("features").WithMessage("The pyramid has no level named '1'; it has '0'.*");
    }
}
