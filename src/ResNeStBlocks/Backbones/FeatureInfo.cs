namespace ResNeStBlocks.Backbones;

/// <summary>One feature map a backbone can return (timm <c>feature_info</c>).</summary>
/// <param name="Module">The module that produces it: <c>act1</c> (stem) or <c>layer1</c>..<c>layer4</c>.</param>
/// <param name="Channels">Channels of the feature map.</param>
/// <param name="Reduction">Input size divided by the feature map's size (2, 4, 8, 16, 32).</param>
public sealed record FeatureInfo(string Module, int Channels, int Reduction);
