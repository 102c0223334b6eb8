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
/// AnchorGenerator, BoxCoder and BoxLinearCoder against torchvision 0.14's (detection/anchors.safetensors and
/// detection/coders.safetensors).
/// </summary>
public class AnchorAndCoderParityTests
{
    public static IEnumerable<object[]> AnchorCases() => DetectionFixtures.Of("anchor_generator");

    public static IEnumerable<object[]> CoderCases() => DetectionFixtures.Of("box_coder");

    public static IEnumerable<object[]> LinearCoderCases() => DetectionFixtures.Of("box_linear_coder");

    [Theory]
    [MemberData(nameof(AnchorCases))]
    public void Anchors_equal_torchvision_exactly(string name)
    {
        var c = DetectionFixtures.Case(name);
        var t = c.Load();
        var sizes = c.Args.GetProperty("sizes").EnumerateArray().Select(l => (IReadOnlyList<double>)l.EnumerateArray().Select(e => e.GetDouble()).ToList()).ToList();
        var ratios = c.Args.GetProperty("aspect_ratios").EnumerateArray().Select(l => (IReadOnlyList<double>)l.EnumerateArray().Select(e => e.GetDouble()).ToList()).ToList();
        var generator = new AnchorGenerator(sizes, ratios);
        generator.NumAnchorsPerLocation.Should().Equal(c.Ints("num_anchors_per_location"));
        var dtype = t["anchors"].dtype;
        for (int level = 0; level < generator.Levels; level++)
        {
            using var cells = generator.CellAnchors(level, dtype);
            TensorAssert.Close(cells, t[$"cell_anchors.{level}"], 0, 0, $"cell anchors {level}");
        }
        var featureSizes = c.Args.GetProperty("feature_sizes").EnumerateArray().Select(e => (e[0].GetInt64(), e[1].GetInt64())).ToList();
        var maps = featureSizes.Select(s => zeros(new long[] { 2, 4, s.Item1, s.Item2 }, dtype)).ToList();
        var image = c.Ints("image_size");
        using var anchors = generator.Generate(maps, image[0], image[1]);
        anchors.dtype.Should().Be(dtype);
        TensorAssert.Close(anchors, t["anchors"], 0, 0, name);
        TensorAssert.Close(anchors, t["anchors_image1"], 0, 0, name + " (second image)");
        foreach (var map in maps)
            map.Dispose();
    }

    [Theory]
    [MemberData(nameof(CoderCases))]
    public void Box_coder_encodes_and_decodes_as_torchvision(string name)
    {
        var c = DetectionFixtures.Case(name);
        var t = c.Load();
        var w = c.Doubles("weights");
        var coder = new BoxCoder((w[0], w[1], w[2], w[3]));
        coder.BboxXformClip.Should().Be(c.Double("bbox_xform_clip"));
        double atol = t["codes"].dtype == ScalarType.Float32 ? 2e-5 : 1e-12;
        var split = c.Ints("split").Select(n => (long)n).ToArray();
        var references = t["reference"].split(split, 0);
        var proposals = t["proposals"].split(split, 0);
        var encoded = coder.Encode(references, proposals);
        encoded.Select(e => e.size(0)).Should().Equal(split);
        TensorAssert.Close(cat(encoded, 0), t["encoded"], atol, 1e-6, name + " encode");
        using var decoded = coder.Decode(t["codes"], proposals);
        TensorAssert.Close(decoded, t["decoded"], atol, 1e-6, name + " decode");
    }

    [Theory]
    [MemberData(nameof(LinearCoderCases))]
    public void Linear_coder_encodes_and_decodes_as_torchvision(string name)
    {
        var c = DetectionFixtures.Case(name);
        var t = c.Load();
        var coder = new BoxLinearCoder(c.Bool("normalize_by_size"));
        using var encoded = coder.Encode(t["reference"], t["proposals"]);
        TensorAssert.Close(encoded, t["encoded"], 1e-12, 0, name + " encode");
        using var decoded = coder.Decode(t["codes"], t["reference"].expand(2, 10, 4));
        TensorAssert.Close(decoded, t["decoded"], 1e-12, 0, name + " decode");
    }

    [Fact]
    public void Decoding_clamps_the_size_ratio_at_log_1000_over_16()
    {
        var t = DetectionFixtures.Case("box_coder_1_1").Load();
        // codes[0, 2] = 10 is beyond the clamp: the width is exp(log(1000 / 16)) = 62.5 times the proposal's.
        var proposal = t["proposals"][0];
        var decoded = t["decoded"][0, 0];
        double ratio = (decoded[2] - decoded[0]).item<double>() / (proposal[2] - proposal[0]).item<double>();
        ratio.Should().BeApproximately(62.5, 1e-9);
        BoxCoder.DefaultBboxXformClip.Should().Be(Math.Log(1000.0 / 16));
    }

    [Fact]
    public void Mismatched_levels_and_bad_weights_are_refused()
    {
        var generator = new AnchorGenerator(new[] { new double[] { 32 }, new double[] { 64 } }, new[] { new double[] { 0.5, 1, 2 } });
        generator.NumAnchorsPerLocation.Should().Equal(3, 3);
        FluentActions.Invoking(() => generator.Generate(new[] { zeros(1, 1, 4, 4) }, 32, 32)).Should().Throw<ArgumentException>()
            .WithParameterName("featureMaps").WithMessage("Got 1 feature maps for 2 levels of sizes and aspect ratios; give one map per level.*");
        FluentActions.Invoking(() => new BoxCoder((1, 0, 1, 1))).Should().Throw<ArgumentOutOfRangeException>()
            .WithParameterName("weights");
    }
}
