using ResNeStBlocks.Testing;
using Xunit;

namespace ResNeStBlocks.Tests.PublicApi;

/// <summary>The library's public API is the committed listing (ResNeStBlocks.txt beside this file): any change to it is deliberate.</summary>
public class PublicApiTests
{
    [Fact]
    public void Public_api_equals_the_committed_listing() => Testing.PublicApi.ShouldMatch(typeof(ResNeStBlocks.Backbones.ResNet).Assembly, "ResNeStBlocks.Tests");
}
