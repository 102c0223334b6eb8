using System;
using System.Linq;
using ResNeStBlocks.Backbones;
using ResNeStBlocks.Dense;
using ResNeStBlocks.Zoo;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNeStBlocks.Testing;

/// <summary>The one mapper from a torchvision fixture case (its reference and args) to the library's module, for every test project.</summary>
public static class DenseModules
{
    public static FeaturePyramidNetwork Pyramid(TorchvisionCase c)
    {
        int[] inChannels = c.Ints("in_channels_list");
        int outChannels = c.Int("out_channels");
        return new FeaturePyramidNetwork(inChannels, outChannels, Extra(c.String("extra_blocks"), inChannels, outChannels), c.Bool("norm"));
    }

    /// <summary>The generator's names for the extra levels: none, torchvision's max pool, P6/P7 reading P5 or C5.</summary>
    public static ExtraFpnBlock? Extra(string kind, int[] inChannels, int outChannels) => kind switch
    {
        "none" => null,
        "pool" => new LastLevelMaxPool(),
        "p6p7_p5" => new LastLevelP6P7(outChannels, outChannels),
        "p6p7_c5" => new LastLevelP6P7(inChannels[^1], outChannels),
        var other => throw new ArgumentException($"Unknown extra block '{other}'."),
    };

    /// <summary>torchvision's BackboneWithFPN over its ResNet at the case's depth and width (not dilated).</summary>
    public static BackboneWithFpn FpnBackbone(TorchvisionCase c)
    {
        var body = new ResNet(ModelZoo.Config("resnet50") with
        {
            Layers = c.Ints("layers"),
            Channels = c.Ints("channels"),
            NumClasses = 0,
            ZeroInitLast = false,
        });
        int[] returned = c.Ints("returned_layers");
        int[] inChannels = returned.Select(layer => body.FeatureInfo[layer - 1].Channels).ToArray();
        int outChannels = c.Int("out_channels");
        var fpn = new FeaturePyramidNetwork(inChannels, outChannels, Extra(c.String("extra_blocks"), inChannels, outChannels), c.Bool("norm"));
        return new BackboneWithFpn(body, fpn, returned);
    }

    public static nn.Module Head(TorchvisionCase c) => c.Name switch
    {
        _ when c.Name.StartsWith("aspp_", StringComparison.Ordinal) => new Aspp(c.Int("in_channels"), c.Ints("atrous_rates"), c.Int("out_channels")),
        "deeplab_head" => new DeepLabHead(c.Int("in_channels"), c.Int("num_classes"), c.Int("channels"), c.Ints("atrous_rates")),
        "fcn_head" => new FcnHead(c.Int("in_channels"), c.Int("channels")),
        _ when c.Name.StartsWith("deeplabv3plus_head", StringComparison.Ordinal) => new DeepLabV3PlusHead(c.Int("in_channels"),
            c.Int("low_level_channels"), c.Int("num_classes"), c.Int("channels"), c.Ints("atrous_rates"), c.Bool("separable")),
        _ => throw new ArgumentException($"No head mapping for case {c.Name}."),
    };

    /// <summary>
    /// torchvision's ResNet with Bottleneck blocks (timm's resnet50 architecture, the same keys) at the case's depth and
    /// width, dilated to the case's output stride.
    /// </summary>
    public static ResNetConfig Backbone(TorchvisionCase c) => ModelZoo.Config("resnet50") with
    {
        Layers = c.Ints("layers"),
        Channels = c.Ints("channels"),
        OutputStride = c.Int("output_stride"),
        NumClasses = 0,
        ZeroInitLast = false,
    };

    public static SegmentationModel Model(TorchvisionCase c)
    {
        var backbone = new ResNet(Backbone(c));
        int[] stages = backbone.FeatureInfo.Select(f => f.Channels).ToArray();
        int classes = c.Int("num_classes");
        var aux = c.Bool("aux") ? new FcnHead(stages[^2], classes) : null;
        return c.String("head") switch
        {
            "deeplabv3" => new SegmentationModel(backbone, new DeepLabHead(stages[^1], classes, c.Int("head_channels"), c.Ints("atrous_rates")), aux),
            "fcn" => new SegmentationModel(backbone, new FcnHead(stages[^1], classes), aux),
            "deeplabv3plus" => new SegmentationModel(backbone,
                new DeepLabV3PlusHead(stages[^1], stages[0], classes, c.Int("head_channels"), c.Ints("atrous_rates")), aux),
            var other => throw new ArgumentException($"Unknown head '{other}' in case {c.Name}."),
        };
    }
}
