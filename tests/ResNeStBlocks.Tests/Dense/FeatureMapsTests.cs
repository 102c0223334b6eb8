using System.Collections.Generic;
using System.Linq;
using FluentAssertions;
using ResNeStBlocks.Dense;
using Xunit;
using static TorchSharp.torch;

namespace ResNeStBlocks.Tests.Dense;

/// <summary>FeatureMaps reads like a dictionary from name to map, and stays a list of the maps.</summary>
public class FeatureMapsTests
{
    [Fact]
    public void Maps_are_found_by_name_in_order_and_as_a_dictionary_view()
    {
        var p2 = zeros(1, 2, 8, 8);
        var p3 = ones(1, 2, 4, 4);
        using var maps = new FeatureMaps(new[] { "p2", "p3" }, new[] { p2, p3 });

        maps.Keys.Should().Equal("p2", "p3");
        maps.Values.Should().Equal(p2, p3);
        maps.ContainsKey("p3").Should().BeTrue();
        maps.ContainsKey("p4").Should().BeFalse();
        maps.TryGetValue("p3", out var found).Should().BeTrue();
        found.Should().BeSameAs(p3);
        maps.TryGetValue("p4", out var missing).Should().BeFalse();
        missing.Should().BeNull();
        maps.Items.Select(item => $"{item.Key}:{item.Value.size(2)}").Should().Equal("p2:8", "p3:4");
        maps.Select(map => map.size(3)).Should().Equal(8L, 4L);   // still a list of maps for LINQ

        IReadOnlyDictionary<string, Tensor> dictionary = maps.AsDictionary();
        dictionary.Count.Should().Be(2);
        dictionary["p2"].Should().BeSameAs(p2);
        dictionary.Select(pair => pair.Key).Should().Equal("p2", "p3");
        FluentActions.Invoking(() => dictionary["p6"]).Should().Throw<KeyNotFoundException>()
            .WithMessage("No feature map named 'p6'; the names are p2, p3.");
    }

    [Fact]
    public void Disposing_the_set_disposes_the_maps_it_owns()
    {
        var map = zeros(1, 1, 2, 2);
        var maps = new FeatureMaps(new[] { "0" }, new[] { map });
        maps.AsDictionary()["0"].IsInvalid.Should().BeFalse();
        maps.Dispose();
        map.IsInvalid.Should().BeTrue();
    }
}
