using FluentAssertions;
using ResNeStBlocks.Detection.Models;
using Xunit;

namespace ResNeStBlocks.Tests.Detection;

/// <summary>
/// fasterrcnn_resnet50_fpn_v2 against torchvision 0.14 (tests/fixtures/detection-models, generate_mask.py): keys,
/// shapes, trainable parameters and count, and det-filled float64 detections.
/// </summary>
public class FasterRcnnV2Tests
{
    private const string Name = "fasterrcnn_resnet50_fpn_v2";
    private readonly Xunit.Abstractions.ITestOutputHelper output;

    public FasterRcnnV2Tests(Xunit.Abstractions.ITestOutputHelper output) => this.output = output;

    [Fact]
    public void Keys_shapes_trainable_parameters_and_count_are_torchvisions()
    {
        using var model = DetectionModels.Create(Name);
        model.Should().BeOfType<FasterRcnn>();
        DetectorFixtures.ShouldMatchManifest(model, Name + ".manifest.json", 43_712_278);
    }

    [Theory]
    [InlineData("")]
    [InlineData(".resized")]
    public void Det_filled_float64_detections_equal_torchvisions(string variant)
    {
        var fixture = DetectorFixtures.Json($"{Name}{variant}.detections.json");
        using var model = MaskFixtures.Model(Name, fixture);
        var images = DetectorFixtures.Images(fixture);
        var found = model.Detect(images);
        var (scores, boxes) = DetectorFixtures.ShouldEqual(found, fixture, 1e-6);
        output.WriteLine($"max |score difference| {scores:E2}, max |box difference| {boxes:E2}");
        foreach (var d in found)
        {
            d.Masks.Should().BeNull();
            d.Dispose();
        }
        foreach (var image in images)
            image.Dispose();
    }
}
