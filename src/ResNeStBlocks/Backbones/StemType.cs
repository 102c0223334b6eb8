namespace ResNeStBlocks.Backbones;

/// <summary>The first convolutions of a ResNet (timm <c>stem_type</c>).</summary>
public enum StemType
{
    /// <summary>One 7x7 stride-2 convolution to 64 channels (timm <c>''</c>).</summary>
    Default,

    /// <summary>ResNet-C/D: three 3x3 convolutions (stride 2, 1, 1) of stem width, stem width, twice the stem width (timm <c>'deep'</c>).</summary>
    Deep,

    /// <summary>Like <see cref="Deep"/> with a narrower first convolution: 3 * (stem width / 4) (timm <c>'deep_tiered'</c>).</summary>
    DeepTiered,
}
