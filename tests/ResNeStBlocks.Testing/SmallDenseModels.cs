using System.Linq;
using ResNeStBlocks.Backbones;
using ResNeStBlocks.Dense;
using ResNeStBlocks.Zoo;

namespace ResNeStBlocks.Testing;

/// <summary>Segmentation models and feature-pyramid backbones small enough for export tests: ResNeSt-14d at width 8-24, 16-wide heads.</summary>
public static class SmallDenseModels
{
    /// <summary>ResNeSt-14d at small width: radix-2 Split-Attention, deep stem, avg-down shortcuts, dilated stages.</summary>
    public static ResNetConfig ResNeSt(int outputStride = 32) =>
        ModelZoo.Config("resnest14d") with { Channels = new[] { 8, 16, 16, 24 }, StemWidth = 8, NumClasses = 0, OutputStride = outputStride };

    /// <summary>A head on the small ResNeSt (DeepLabV3 and DeepLabV3+ at width 16, rates 2/4/6), with FCN's auxiliary head when asked.</summary>
    public static SegmentationModel Segmentation(SegmentationHeadType head, bool aux, int outputStride, int classes = 5)
    {
        var backbone = new ResNet(ResNeSt(outputStride));
        int[] stages = backbone.FeatureInfo.Select(f => f.Channels).ToArray();
        var auxHead = aux ? new FcnHead(stages[^2], classes) : null;
        int[] rates = { 2, 4, 6 };
        return head switch
        {
            SegmentationHeadType.DeepLabV3 => new SegmentationModel(backbone, new DeepLabHead(stages[^1], classes, 16, rates), auxHead),
            SegmentationHeadType.Fcn => new SegmentationModel(backbone, new FcnHead(stages[^1], classes), auxHead),
            _ => new SegmentationModel(backbone, new DeepLabV3PlusHead(stages[^1], stages[0], classes, 16, rates), auxHead),
        };
    }

    /// <summary>The small ResNeSt (not dilated) under a 16-wide pyramid with the generator's extra block ("pool", "p6p7_p5", "p6p7_c5").</summary>
    public static BackboneWithFpn Pyramid(string extra, bool batchNorm, int[] returnedLayers)
    {
        var body = new ResNet(ResNeSt());
        int[] inChannels = returnedLayers.Select(layer => body.FeatureInfo[layer - 1].Channels).ToArray();
        return new BackboneWithFpn(body, new FeaturePyramidNetwork(inChannels, 16, DenseModules.Extra(extra, inChannels, 16), batchNorm), returnedLayers);
    }
}
