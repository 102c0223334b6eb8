using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using FluentAssertions;
using ResNeStBlocks.Layers;
using ResNeStBlocks.Testing;
using ResNeStBlocks.Weights;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace ResNeStBlocks.Tests.Weights;

/// <summary>Strict and non-strict loading, the skip predicate, and atomicity: a failed load changes nothing.</summary>
public sealed class StateDictLoaderTests : IDisposable
{
    private readonly TempFolder temp = new("st-loader");

    public void Dispose() => temp.Dispose();

    private static Dictionary<string, Tensor> FixtureWeights() => SafeTensors.Load(Fixtures.File("timm", "blocks", "se_c64.safetensors"));

    private static void ShouldEqualBitwise(Dictionary<string, byte[]> actual, Dictionary<string, byte[]> expected)
    {
        actual.Keys.Should().BeEquivalentTo(expected.Keys);
        foreach (var (key, bytes) in expected)
            actual[key].Should().Equal(bytes, $"'{key}' must be unchanged bit for bit");
    }

    [Fact]
    public void A_strict_load_of_the_fixture_sets_every_tensor_bit_for_bit()
    {
        using var scope = NewDisposeScope();
        using var se = new SqueezeExcite(64);
        var weights = FixtureWeights();
        var result = StateDictLoader.LoadFile(se, Fixtures.File("timm", "blocks", "se_c64.safetensors"));
        result.MissingKeys.Should().BeEmpty();
        result.UnexpectedKeys.Should().BeEmpty();
        result.SkippedKeys.Should().BeEmpty();
        ShouldEqualBitwise(StateSnapshot.Bytes(se), weights.ToDictionary(kv => kv.Key, kv => kv.Value.bytes.ToArray()));
    }

    [Fact]
    public void A_strict_load_lists_every_problem_at_once_and_changes_nothing()
    {
        using var scope = NewDisposeScope();
        using var se = new SqueezeExcite(64);
        var before = StateSnapshot.Bytes(se);
        var weights = FixtureWeights();
        weights["fc1.weight"] = zeros(8, 32, 1, 1);       // wrong shape
        weights.Remove("fc2.bias");                       // missing
        weights["fc3.weight"] = zeros(3);                 // unexpected
        // fc1.bias and fc2.weight fit: a non-atomic loader would have copied them before failing.

        var thrown = FluentActions.Invoking(() => StateDictLoader.Load(se, weights)).Should().Throw<StateDictMismatchException>()
            .WithMessage("*nothing was loaded*1 missing key(s): fc2.bias*1 unexpected key(s): fc3.weight*"
                         + "1 mismatched tensor(s): fc1.weight: expected shape [8, 64, 1, 1], got [8, 32, 1, 1]*").Which;
        thrown.MissingKeys.Should().Equal("fc2.bias");
        thrown.UnexpectedKeys.Should().Equal("fc3.weight");
        thrown.Mismatches.Should().ContainSingle().Which.Should().StartWith("fc1.weight:");
        ShouldEqualBitwise(StateSnapshot.Bytes(se), before);
    }

    [Theory]
    [InlineData("missing")]
    [InlineData("unexpected")]
    public void A_strict_load_fails_on_a_single_key_problem(string problem)
    {
        using var scope = NewDisposeScope();
        using var se = new SqueezeExcite(64);
        var before = StateSnapshot.Bytes(se);
        var weights = FixtureWeights();
        if (problem == "missing") weights.Remove("fc1.weight");
        else weights["extra"] = ones(1);
        FluentActions.Invoking(() => StateDictLoader.Load(se, weights)).Should().Throw<StateDictMismatchException>()
            .WithMessage(problem == "missing" ? "*missing key(s): fc1.weight*" : "*unexpected key(s): extra*");
        ShouldEqualBitwise(StateSnapshot.Bytes(se), before);
    }

    [Fact]
    public void A_file_load_that_fails_changes_nothing()
    {
        using var scope = NewDisposeScope();
        using var se = new SqueezeExcite(64);
        var before = StateSnapshot.Bytes(se);
        var weights = FixtureWeights();
        weights["fc2.weight"] = zeros(64, 8, 3, 3);
        string path = Path.Combine(temp.Path, "wrong.safetensors");
        SafeTensors.Save(path, weights);
        FluentActions.Invoking(() => StateDictLoader.LoadFile(se, path)).Should().Throw<StateDictMismatchException>()
            .WithMessage("*fc2.weight: expected shape [64, 8, 1, 1], got [64, 8, 3, 3]*");
        ShouldEqualBitwise(StateSnapshot.Bytes(se), before);
    }

    [Fact]
    public void A_malformed_file_changes_nothing()
    {
        using var scope = NewDisposeScope();
        using var se = new SqueezeExcite(64);
        var before = StateSnapshot.Bytes(se);
        string path = Path.Combine(temp.Path, "truncated.safetensors");
        var bytes = File.ReadAllBytes(Fixtures.File("timm", "blocks", "se_c64.safetensors"));
        File.WriteAllBytes(path, bytes[..^4]);
        FluentActions.Invoking(() => StateDictLoader.LoadFile(se, path)).Should().Throw<SafeTensorsFormatException>()
            .WithMessage("*'fc2.weight'*run past the*");
        ShouldEqualBitwise(StateSnapshot.Bytes(se), before);
    }

    [Fact]
    public void A_non_strict_load_returns_missing_and_unexpected_keys_and_loads_the_rest()
    {
        using var scope = NewDisposeScope();
        using var se = new SqueezeExcite(64);
        var before = StateSnapshot.Bytes(se);
        var weights = FixtureWeights();
        weights.Remove("fc2.bias");
        weights.Remove("fc1.bias");
        weights["head.weight"] = ones(2);
        var result = StateDictLoader.Load(se, weights, strict: false);

        result.MissingKeys.Should().BeEquivalentTo("fc1.bias", "fc2.bias");
        result.UnexpectedKeys.Should().Equal("head.weight");
        result.SkippedKeys.Should().BeEmpty();
        var after = StateSnapshot.Bytes(se);
        after["fc1.bias"].Should().Equal(before["fc1.bias"]);
        after["fc2.bias"].Should().Equal(before["fc2.bias"]);
        after["fc1.weight"].Should().Equal(weights["fc1.weight"].bytes.ToArray());
        after["fc2.weight"].Should().Equal(weights["fc2.weight"].bytes.ToArray());
    }

    [Fact]
    public void A_non_strict_load_still_fails_on_a_wrong_shape_and_changes_nothing()
    {
        using var scope = NewDisposeScope();
        using var se = new SqueezeExcite(64);
        var before = StateSnapshot.Bytes(se);
        var weights = FixtureWeights();
        weights["fc1.bias"] = zeros(9);
        FluentActions.Invoking(() => StateDictLoader.Load(se, weights, strict: false)).Should().Throw<StateDictMismatchException>()
            .WithMessage("*fc1.bias: expected shape [8], got [9]*");
        ShouldEqualBitwise(StateSnapshot.Bytes(se), before);
    }

    [Fact]
    public void An_integer_buffer_refuses_a_float_tensor_and_nothing_is_loaded()
    {
        using var scope = NewDisposeScope();
        using var bn = nn.BatchNorm2d(4);
        var before = StateSnapshot.Bytes(bn);
        var weights = new Dictionary<string, Tensor>
        {
            ["weight"] = full(4, 2f), ["bias"] = full(4, 3f), ["running_mean"] = full(4, 4f), ["running_var"] = full(4, 5f),
            ["num_batches_tracked"] = tensor(7f),
        };
        FluentActions.Invoking(() => StateDictLoader.Load(bn, weights)).Should().Throw<StateDictMismatchException>()
            .WithMessage("*num_batches_tracked: expected Int64, got Float32*");
        ShouldEqualBitwise(StateSnapshot.Bytes(bn), before);

        weights["num_batches_tracked"] = tensor(7L);
        StateDictLoader.Load(bn, weights);
        bn.state_dict()["num_batches_tracked"].item<long>().Should().Be(7);
        bn.state_dict()["running_var"].data<float>().ToArray().Should().AllBeEquivalentTo(5f);
    }

    [Fact]
    public void Skipped_keys_are_neither_loaded_nor_reported_missing_or_unexpected()
    {
        using var scope = NewDisposeScope();
        using var se = new SqueezeExcite(64);
        var before = StateSnapshot.Bytes(se);
        var weights = FixtureWeights();
        weights.Remove("fc2.weight");                     // would be missing, but skipped
        weights["head.fc.weight"] = zeros(10, 8);         // would be unexpected, but skipped
        var result = StateDictLoader.Load(se, weights, strict: true, skip: key => key.StartsWith("fc2.") || key.StartsWith("head."));

        result.SkippedKeys.Should().BeEquivalentTo("fc2.weight", "fc2.bias", "head.fc.weight");
        result.MissingKeys.Should().BeEmpty();
        result.UnexpectedKeys.Should().BeEmpty();
        var after = StateSnapshot.Bytes(se);
        after["fc2.weight"].Should().Equal(before["fc2.weight"]);
        after["fc2.bias"].Should().Equal(before["fc2.bias"], "a skipped key is not loaded even when the file has it");
        after["fc1.weight"].Should().Equal(weights["fc1.weight"].bytes.ToArray());
    }
}
