using System.Collections.Generic;
using System.Linq;
using FluentAssertions;
using ResNeStBlocks.Testing;
using ResNeStBlocks.Zoo;
using Xunit;

namespace ResNeStBlocks.Tests.Zoo;

/// <summary>Every full-size timm manifest: exact parameter count, key/shape map and pretrained configuration.</summary>
public class ModelZooManifestTests
{
    public static IEnumerable<object[]> ManifestNames() => Manifest.Names().Select(n => new object[] { n });

    [Fact]
    public void The_zoo_names_exactly_the_manifests()
    {
        ModelZoo.Names.Should().Equal(Manifest.Names());
    }

    [Theory]
    [MemberData(nameof(ManifestNames))]
    public void Parameters_keys_and_shapes_equal_timm(string name)
    {
        var manifest = Manifest.Load(name);
        using var model = ModelZoo.Create(name);
        model.parameters().Sum(p => p.numel()).Should().Be(manifest.Params);
        ModelZoo.TimmParameterCount(name).Should().Be(manifest.Params);
        var actual = model.state_dict().Select(kv => $"{kv.Key} {TensorAssert.Shape(kv.Value.shape)}").ToList();
        var expected = manifest.StateDict.Select(kv => $"{kv.Key} {TensorAssert.Shape(kv.Shape)}").ToList();
        actual.Should().BeEquivalentTo(expected);
        actual.Should().HaveCount(expected.Count);
    }

    [Theory]
    [MemberData(nameof(ManifestNames))]
    public void Pretrained_configuration_equals_timm(string name)
    {
        var cfg = Manifest.Load(name).PretrainedConfig;
        var pretrained = ModelZoo.Pretrained(name);
        pretrained.Source!.Id.Should().Be(cfg.GetProperty("hf_hub_id").GetString());
        pretrained.InputSize.Should().Be(cfg.GetProperty("input_size")[2].GetInt32());
        pretrained.CropFraction.Should().Be(cfg.GetProperty("crop_pct").GetDouble());
        pretrained.Interpolation.ToString().ToLowerInvariant().Should().Be(cfg.GetProperty("interpolation").GetString());
        pretrained.Mean.Should().Equal(cfg.GetProperty("mean").EnumerateArray().Select(e => (float)e.GetDouble()));
        pretrained.Std.Should().Equal(cfg.GetProperty("std").EnumerateArray().Select(e => (float)e.GetDouble()));
        pretrained.NumClasses.Should().Be(cfg.GetProperty("num_classes").GetInt32());
    }
}
