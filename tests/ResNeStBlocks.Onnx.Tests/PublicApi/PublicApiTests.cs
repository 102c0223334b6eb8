using Xunit;

namespace ResNeStBlocks.Onnx.Tests.PublicApi;

/// <summary>The exporter's public API is the committed listing (ResNeStBlocks.Onnx.txt beside this file): any change to it is deliberate.</summary>
public class PublicApiTests
{
    [Fact]
    public void Public_api_equals_the_committed_listing() => Testing.PublicApi.ShouldMatch(typeof(OnnxExporter).Assembly, "ResNeStBlocks.Onnx.Tests");
}
