using System.Diagnostics;
using System.Linq;
using ResNeStBlocks.Detection.Models;
using Xunit;
using Xunit.Abstractions;

namespace ResNeStBlocks.Tests.Detection;

/// <summary>
/// The whole detectors on the ResNeSt-50d and ResNeSt-101e bodies against torchvision 0.14 (tests/fixtures/detection-models,
/// generate_resnest_detectors.py): eval-mode detections (and masks) in float64 with each family's det-fill. The
/// reference is torchvision's detector over the generator's own ResNeSt body, which the generator proves equal to
/// timm's fixtures (timm is not installed where the fixtures are made).
/// </summary>
public sealed class ResNeStDetectorParityTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("fasterrcnn_resnest50d_fpn")]
    [InlineData("maskrcnn_resnest50d_fpn")]
    [InlineData("retinanet_resnest50d_fpn")]
    [InlineData("fcos_resnest50d_fpn")]
    [InlineData("fasterrcnn_resnest101e_fpn")]
    [InlineData("maskrcnn_resnest101e_fpn")]
    [InlineData("retinanet_resnest101e_fpn")]
    [InlineData("fcos_resnest101e_fpn")]
    public void Det_filled_float64_detections_equal_torchvisions_on_the_same_body(string name)
    {
        var fixture = DetectorFixtures.Json($"{name}.detections.json");
        using var model = name.Split('_')[0] switch
        {
            "retinanet" => RetinaNetTests.DetFilled(name, fixture),
            "fcos" => FcosTests.DetFilled(fixture, name),
            _ => MaskFixtures.Model(name, fixture),
        };
        model.eval();
        var images = DetectorFixtures.Images(fixture);
        var clock = Stopwatch.StartNew();
        var found = model.Detect(images);
        clock.Stop();

        var (scores, boxes) = DetectorFixtures.ShouldEqual(found, fixture, 1e-6);
        string masks = model is MaskRcnn ? $", max |mask difference| {MaskFixtures.ShouldEqualMasks(found, fixture, 1e-6):E2}" : "";
        output.WriteLine($"{string.Join(" + ", found.Select(d => d.Labels.size(0)))} detections; max |score difference| {scores:E2}, " +
            $"max |box difference| {boxes:E2}{masks}; Detect {clock.ElapsedMilliseconds} ms");
        foreach (var d in found)
            d.Dispose();
        foreach (var image in images)
            image.Dispose();
    }
}
