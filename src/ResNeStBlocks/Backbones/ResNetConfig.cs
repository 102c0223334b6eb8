using System;
using System.Collections.Generic;
using System.Linq;
using ResNeStBlocks.Blocks;

namespace ResNeStBlocks.Backbones;

/// <summary>
/// Everything that defines a <see cref="ResNet"/> (timm <c>ResNet(...)</c> arguments). Every ResNeSt,
/// Res2Net, SE-, SK- and ResNeXt variant in the zoo is one of these.
/// </summary>
/// <param name="Block">The residual block and its settings.</param>
/// <param name="Layers">Blocks per stage (four stages in the classic design; any count of at least one works).</param>
public sealed record ResNetConfig(BlockSpec Block, IReadOnlyList<int> Layers)
{
    /// <summary>Planes per stage; defaults to 64, 128, 256, 512.</summary>
    public IReadOnlyList<int> Channels { get; init; } = new[] { 64, 128, 256, 512 };

    /// <summary>Classifier outputs; 0 means no classifier (the model returns pooled features).</summary>
    public int NumClasses { get; init; } = 1000;

    /// <summary>Image channels.</summary>
    public int InChannels { get; init; } = 3;

    /// <summary>The stem.</summary>
    public StemType StemType { get; init; } = StemType.Default;

    /// <summary>Width of the deep stem (32 for ResNeSt-50, 64 for ResNeSt-101 and larger).</summary>
    public int StemWidth { get; init; } = 64;

    /// <summary>ResNet-D average-pool shortcuts instead of strided 1x1 convolutions.</summary>
    public bool AvgDown { get; init; }

    /// <summary>Kernel of the convolutional shortcut when it strides (timm <c>down_kernel_size</c>).</summary>
    public int DownKernelSize { get; init; } = 1;

    /// <summary>Network stride: 32 (classification), 16 or 8 (later stages dilate instead of striding).</summary>
    public int OutputStride { get; init; } = 32;

    /// <summary>Dropout before the classifier.</summary>
    public double DropRate { get; init; }

    /// <summary>Stochastic-depth rate of the last block; earlier blocks get a linearly smaller rate.</summary>
    public double DropPathRate { get; init; }

    /// <summary>DropBlock rate of stages 3 and 4 (block sizes 5 and 3, as timm).</summary>
    public double DropBlockRate { get; init; }

    /// <summary>Zero the last BatchNorm scale of every residual branch at initialisation.</summary>
    public bool ZeroInitLast { get; init; } = true;

    /// <summary>
    /// Checks every setting, and the block spec at every position of the network, without allocating; throws
    /// <see cref="ArgumentException"/> naming the first bad one.
    /// </summary>
    public void Validate() => Plan();

    /// <summary>Total number of residual blocks.</summary>
    public int TotalBlocks => Layers.Sum();

    /// <summary>Validates the settings; returns the stem's output channels and every block's position.</summary>
    internal (int StemChannels, IReadOnlyList<BlockSite> Sites) Plan()
    {
        ArgumentNullException.ThrowIfNull(Block);
        ArgumentNullException.ThrowIfNull(Layers);
        ArgumentNullException.ThrowIfNull(Channels);
        if (Layers.Count == 0)
            throw new ArgumentException("Layers must name at least one stage.", nameof(Layers));
        if (Layers.Count != Channels.Count)
            throw new ArgumentException($"Layers ({Layers.Count} stages) and Channels ({Channels.Count} stages) must have the same length.", nameof(Channels));
        foreach (int blocks in Layers) Guard.Positive(blocks, nameof(Layers));
        foreach (int planes in Channels) Guard.Positive(planes, nameof(Channels));
        Guard.NonNegative(NumClasses, nameof(NumClasses));
        int stemChannels = StemConvolutions.Validate(StemType, InChannels, StemWidth);
        Guard.Positive(DownKernelSize, nameof(DownKernelSize));
        if (OutputStride is not (8 or 16 or 32))
            throw new ArgumentOutOfRangeException(nameof(OutputStride), OutputStride, $"OutputStride must be 8, 16 or 32, got {OutputStride}.");
        Guard.Probability(DropRate, nameof(DropRate));
        Guard.Probability(DropPathRate, nameof(DropPathRate));
        Guard.Probability(DropBlockRate, nameof(DropBlockRate));
        var sites = BlockSite.Plan(this, stemChannels);
        foreach (var site in sites)
            Block.Validate(site.InPlanes, site.Planes, site.Placement);
        return (stemChannels, sites);
    }
}
