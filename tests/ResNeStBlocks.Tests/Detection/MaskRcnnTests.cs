using System;
using System.Diagnostics;
using System.Text.Json;
using FluentAssertions;
using ResNeStBlocks.Detection;
using ResNeStBlocks.Detection.Models;
using Xunit;
using static TorchSharp.torch;

namespace ResNeStBlocks.Tests.Detection;

/// <summary>
/// maskrcnn_resnet50_fpn and maskrcnn_resnet50_fpn_v2 against torchvision 0.14 (tests/fixtures/detection-models,
/// generate_mask.py): keys, shapes, trainable parameters and counts, and det-filled float64 detections with their
/// pasted masks.
/// </summary>
public class MaskRcnnTests
{
    private readonly Xunit.Abstractions.ITestOutputHelper output;

    public MaskRcnnTests(Xunit.Abstractions.ITestOutputHelper output) => this.output = output;

    [Theory]
    [InlineData("maskrcnn_resnet50_fpn", 44_401_393)]
    [InlineData("maskrcnn_resnet50_fpn_v2", 46_359_409)]
    public void Keys_shapes_trainable_parameters_and_count_are_torchvisions(string name, long parameters)
    {
        using var model = DetectionModels.Create(name);
        model.Should().BeOfType<MaskRcnn>();
        DetectorFixtures.ShouldMatchManifest(model, name + ".manifest.json", parameters);
    }

    [Theory]
    [InlineData("maskrcnn_resnet50_fpn", "")]
    [InlineData("maskrcnn_resnet50_fpn", ".resized")]
    [InlineData("maskrcnn_resnet50_fpn_v2", "")]
    [InlineData("maskrcnn_resnet50_fpn_v2", ".resized")]
    public void Det_filled_float64_detections_and_masks_equal_torchvisions(string name, string variant)
    {
        // The plain files' images keep their size (160 x 224, 224 x 160); the resized ones' (150 x 210 up, 250 x 175
        // down) have their boxes mapped back and their masks pasted in the original pixels.
        var fixture = DetectorFixtures.Json($"{name}{variant}.detections.json");
        using var model = MaskFixtures.Model(name, fixture);
        var images = DetectorFixtures.Images(fixture);
        var clock = Stopwatch.StartNew();
        var found = model.Detect(images);
        clock.Stop();
        var (scores, boxes) = DetectorFixtures.ShouldEqual(found, fixture, 1e-6);
        double masks = MaskFixtures.ShouldEqualMasks(found, fixture, 1e-6);
        output.WriteLine($"max |score difference| {scores:E2}, max |box difference| {boxes:E2}, max |mask difference| {masks:E2}; Detect {clock.ElapsedMilliseconds} ms");
        foreach (var d in found)
            d.Dispose();
        foreach (var image in images)
            image.Dispose();
    }

    [Fact]
    public void Float32_detections_have_one_mask_per_box_in_the_image_pixels_even_when_there_are_none()
    {
        // torchvision's initialisation scores every class near 1/91, under the 0.05 threshold: no detection, and the
        // mask branch must still run on an empty set.
        using var model = DetectionModels.Create("maskrcnn_resnet50_fpn", options: new DetectionOptions { MinSize = 64, MaxSize = 96, RpnPostNmsTopNTest = 64 });
        using var image = DetectorFixtures.Image(0, 50, 70).to(ScalarType.Float32);
        var found = model.Detect(new[] { image });
        found.Should().HaveCount(1);
        found[0].Masks!.shape.Should().Equal(new[] { found[0].Boxes.size(0), 1L, 50, 70 });
        found[0].Masks!.dtype.Should().Be(ScalarType.Float32);
        found[0].Dispose();
    }

    [Fact]
    public void Pasting_refuses_masks_that_do_not_fit_the_boxes()
    {
        using var masks = zeros(2, 1, 28, 28);
        using var boxes = zeros(3, 4);
        var act = () => MaskOps.PasteMasksInImage(masks, boxes, 10, 10);
        act.Should().Throw<ArgumentException>().WithMessage("masks must have shape [3, 1, M, M] (one square mask per box), got [2, 1, 28, 28].*");
    }
}
