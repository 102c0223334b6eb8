using System.IO;
using System.Linq;
using System.Text.Json;
using FluentAssertions;
using ResNeStBlocks.Dense;
using ResNeStBlocks.Testing;
using TorchSharp.Modules;
using Xunit;

namespace ResNeStBlocks.Tests.Dense;

/// <summary>
/// The full-size factories against torchvision's own models (weights=None, 21 classes, aux_loss=True): every key and
/// shape, the parameter count, and every convolution's stride, padding and dilation (where the dilated backbone puts
/// its dilations: torchvision's replace_stride_with_dilation against our OutputStride). Built, never run.
/// </summary>
public class TorchvisionManifestTests
{
    [Theory]
    [InlineData("deeplabv3_resnet50", 42_004_074)]
    [InlineData("deeplabv3_resnet101", 60_996_202)]
    [InlineData("fcn_resnet50", 35_322_218)]
    [InlineData("fcn_resnet101", 54_314_346)]
    public void Keys_shapes_parameters_and_convolution_geometry_equal_torchvision(string name, long parameters)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Fixtures.File("torchvision", "manifests", name + ".json")));
        var manifest = document.RootElement;
        manifest.GetProperty("params").GetInt64().Should().Be(parameters);

        using var model = SegmentationModels.Create(name, numClasses: 21, auxLoss: true);
        StateDictListing.Parameters(model).Should().Be(parameters);
        StateDictListing.Of(model).Should().BeEquivalentTo(manifest.GetProperty("state_dict").EnumerateObject()
            .Select(p => $"{p.Name} {TensorAssert.Shape(p.Value.EnumerateArray().Select(e => e.GetInt64()).ToArray())}"));

        var expected = manifest.GetProperty("convolutions").EnumerateObject()
            .Select(p => $"{p.Name} {Geometry(p.Value, "stride")} {Geometry(p.Value, "padding")} {Geometry(p.Value, "dilation")}");
        var actual = model.named_modules().Where(m => m.module is Conv2d)
            .Select(m => (m.name, conv: (Conv2d)m.module))
            .Select(m => $"{m.name} {string.Join("x", m.conv.stride!)} {string.Join("x", m.conv.padding!)} {string.Join("x", m.conv.dilation!)}");
        actual.Should().BeEquivalentTo(expected);
    }

    /// <summary>The file names torchvision 0.14's weight enums publish (models/segmentation/deeplabv3.py, fcn.py).</summary>
    [Theory]
    [InlineData("deeplabv3_resnet50", "deeplabv3_resnet50_coco-cd0a2569.pth")]
    [InlineData("deeplabv3_resnet101", "deeplabv3_resnet101_coco-586e9e4e.pth")]
    [InlineData("fcn_resnet50", "fcn_resnet50_coco-1167a1af.pth")]
    [InlineData("fcn_resnet101", "fcn_resnet101_coco-7ecb50ca.pth")]
    [InlineData("deeplabv3_resnest50d", null)]
    [InlineData("deeplabv3plus_resnet50", null)]
    public void Torchvision_names_name_their_published_checkpoint(string name, string? checkpoint) =>
        SegmentationModels.TorchvisionCheckpoint(name).Should().Be(checkpoint);

    private static string Geometry(JsonElement convolution, string property) =>
        string.Join("x", convolution.GetProperty(property).EnumerateArray().Select(e => e.GetInt64()));
}
