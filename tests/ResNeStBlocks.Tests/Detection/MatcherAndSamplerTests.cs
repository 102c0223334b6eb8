using System;
using System.Collections.Generic;
using System.Linq;
using FluentAssertions;
using ResNeStBlocks.Detection;
using ResNeStBlocks.Testing;
using Xunit;
using static TorchSharp.torch;

namespace ResNeStBlocks.Tests.Detection;

/// <summary>Matcher and BalancedPositiveNegativeSampler against torchvision 0.14's (detection/matcher.safetensors).</summary>
public class MatcherAndSamplerTests
{
    public static IEnumerable<object[]> MatcherCases() => DetectionFixtures.Of("matcher");

    public static IEnumerable<object[]> SamplerCases() => DetectionFixtures.Of("balanced_sampler");

    [Theory]
    [MemberData(nameof(MatcherCases))]
    public void Matches_equal_torchvision(string name)
    {
        var c = DetectionFixtures.Case(name);
        var t = c.Load();
        var matcher = new Matcher(c.Double("high_threshold"), c.Double("low_threshold"), c.Bool("allow_low_quality_matches"));
        using var matches = matcher.Match(t["quality"]);
        matches.dtype.Should().Be(ScalarType.Int64);
        matches.data<long>().ToArray().Should().Equal(t["matches"].data<long>().ToArray());
    }

    [Fact]
    public void The_matcher_fixtures_hold_every_outcome()
    {
        var matches = DetectionFixtures.Case("matcher_0.7_0.3_low_quality").Load()["matches"].data<long>().ToArray();
        matches.Should().Contain(Matcher.BelowLowThreshold).And.Contain(Matcher.BetweenThresholds).And.Contain(m => m >= 0);
        Matcher.BelowLowThreshold.Should().Be(-1);
        Matcher.BetweenThresholds.Should().Be(-2);
    }

    [Fact]
    public void Empty_quality_matrices_are_refused_with_torchvisions_message()
    {
        var matcher = new Matcher(0.7, 0.3);
        FluentActions.Invoking(() => matcher.Match(zeros(0, 5))).Should().Throw<ArgumentException>()
            .WithMessage("No ground-truth boxes available for one of the images during training.*");
        FluentActions.Invoking(() => matcher.Match(zeros(3, 0))).Should().Throw<ArgumentException>()
            .WithMessage("No proposal boxes available for one of the images during training.*");
        FluentActions.Invoking(() => new Matcher(0.3, 0.7)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("lowThreshold");
    }

    [Theory]
    [MemberData(nameof(SamplerCases))]
    public void The_deterministic_sampler_equals_torchvision_with_arange_for_randperm(string name)
    {
        var c = DetectionFixtures.Case(name);
        var t = c.Load();
        IPositiveNegativeSampler sampler = new BalancedPositiveNegativeSampler(c.Int("batch_size_per_image"), c.Double("positive_fraction"), shuffle: false);
        var (positive, negative) = sampler.Sample(t["matched"].unbind(0));
        TensorAssert.Close(stack(positive), t["positive"], 0, 0, name + " positives");
        TensorAssert.Close(stack(negative), t["negative"], 0, 0, name + " negatives");
        positive[0].dtype.Should().Be(ScalarType.Byte);
    }

    [Fact]
    public void The_random_sampler_draws_torchvisions_counts_from_the_right_sets_and_repeats_with_its_seed()
    {
        var t = DetectionFixtures.Case("sampler_16_0.25").Load();
        var matched = t["matched"].unbind(0);
        (Tensor[] Positive, Tensor[] Negative) Draw(long seed)
        {
            var generator = new Generator((ulong)seed);
            return new BalancedPositiveNegativeSampler(16, 0.25, generator).Sample(matched);
        }
        var first = Draw(7);
        var again = Draw(7);
        var other = Draw(8);
        for (int i = 0; i < matched.Length; i++)
        {
            // The counts are the deterministic sampler's (torchvision's rule); only which indices differs.
            first.Positive[i].sum().item<long>().Should().Be(t["positive"][i].sum().item<long>());
            first.Negative[i].sum().item<long>().Should().Be(t["negative"][i].sum().item<long>());
            first.Positive[i].to(ScalarType.Bool).logical_and(matched[i].lt(HeldScalars.One)).any().item<bool>().Should().BeFalse();
            first.Negative[i].to(ScalarType.Bool).logical_and(matched[i].ne(DetectionScalars.Zero)).any().item<bool>().Should().BeFalse();
            first.Positive[i].data<byte>().ToArray().Should().Equal(again.Positive[i].data<byte>().ToArray());
            first.Negative[i].data<byte>().ToArray().Should().Equal(again.Negative[i].data<byte>().ToArray());
        }
        Enumerable.Range(0, matched.Length).Any(i => !first.Negative[i].data<byte>().ToArray().SequenceEqual(other.Negative[i].data<byte>().ToArray()))
            .Should().BeTrue("another seed draws other negatives");
    }
}
