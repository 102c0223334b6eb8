using System;
using ResNeStBlocks.Dense;
using ResNeStBlocks.Detection.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNeStBlocks.Onnx.Export.Detection;

/// <summary>
/// The backbones a detector's graph reads: the library's pyramids, which describe their levels and know their channels.
/// A backbone of the user's own has no description of its levels, so its detector is refused.
/// </summary>
internal static class DetectorPyramid
{
    /// <summary>Whether the export can describe this backbone's levels.</summary>
    public static bool Exports(nn.Module<Tensor, FeatureMaps> backbone) => backbone is DetectionBackbone or ResNetFpnBackbone;

    /// <summary>The pyramid's channels, which every level (and every pooled box) has.</summary>
    public static int Channels(nn.Module<Tensor, FeatureMaps> backbone) => backbone switch
    {
        DetectionBackbone pyramid => pyramid.Fpn.OutChannels,
        ResNetFpnBackbone pyramid => pyramid.Fpn.OutChannels,
        var other => throw new NotSupportedException(
            $"ONNX export reads the pyramid of a {nameof(DetectionBackbone)} or a {nameof(ResNetFpnBackbone)}, not of a {other.GetType().Name}."),
    };
}
