using System.Linq;
using ResNeStBlocks.Dense;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNeStBlocks.Detection.Models;

/// <summary>
/// FCOS's backbone as torchvision's <c>fcos_resnet50_fpn</c> builds it (<c>_resnet_fpn_extractor(backbone, 3,
/// returned_layers=[2, 3, 4], extra_blocks=LastLevelP6P7(256, 256))</c>): a <see cref="FrozenResNetBody"/> (keys
/// <c>body.*</c>) whose last three stages C3..C5 (512, 1024, 2048 channels) feed a <see cref="FeaturePyramidNetwork"/>
/// (keys <c>fpn.*</c>) with <see cref="LastLevelP6P7"/> reading P5: levels "0".."2", "p6" and "p7", strides 8 to 128.
/// </summary>
/// <remarks>To be merged into <see cref="DetectionBackbone"/> once it chooses its returned stages and extra block.</remarks>
internal sealed class FcosBackbone : nn.Module<Tensor, FeatureMaps>
{
    private static readonly string[] Names = FeatureMaps.NumberedNames(3);
    private readonly FrozenResNetBody body;
    private readonly FeaturePyramidNetwork fpn;

    public FcosBackbone(int[] layers, int trainableLayers, int outChannels = 256) : base(nameof(FcosBackbone))
    {
        Runtime.NativeRuntime.EnsureCpuChecked();
        body = new FrozenResNetBody(layers, trainableLayers);
        fpn = new FeaturePyramidNetwork(FrozenResNetBody.StageChannels.Skip(1).ToArray(), outChannels, new LastLevelP6P7(outChannels, outChannels));
        register_module("body", body);
        register_module("fpn", fpn);
    }

    /// <summary>Levels "0".."2", "p6", "p7" of a padded batch [N, 3, H, W].</summary>
    public override FeatureMaps forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var stages = body.call(input);
        var pyramid = fpn.call(new FeatureMaps(Names, stages.Skip(1).ToArray()));
        foreach (var level in pyramid)
            level.MoveToOuterDisposeScope();
        return pyramid;
    }

    /// <summary>Registers nothing: the constructor registered every child under torchvision's key.</summary>
    protected override void RegisterComponents()
    {
    }
}
