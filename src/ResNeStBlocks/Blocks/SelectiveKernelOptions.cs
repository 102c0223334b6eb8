using System;
using System.Collections.Generic;
using ResNeStBlocks.Layers;

namespace ResNeStBlocks.Blocks;

/// <summary>Settings of the Selective Kernel convolution inside an SK block (timm <c>sk_kwargs</c>).</summary>
/// <param name="KernelSizes">Kernel per branch; <c>null</c> means [3, 5].</param>
/// <param name="ReductionRatio">Attention width as a fraction of the output channels (timm <c>rd_ratio</c>).</param>
/// <param name="ReductionDivisor">Attention width is rounded to a multiple of this (timm <c>rd_divisor</c>).</param>
/// <param name="KeepThreeByThree">Dilated 3x3 kernels in place of larger ones (timm <c>keep_3x3</c>).</param>
/// <param name="SplitInput">Each branch takes its own slice of the input channels (timm <c>split_input</c>).</param>
public sealed record SelectiveKernelOptions(
    IReadOnlyList<int>? KernelSizes = null,
    double ReductionRatio = 1.0 / 16,
    int ReductionDivisor = 8,
    bool KeepThreeByThree = true,
    bool SplitInput = true)
{
    /// <summary>timm's defaults: kernels [3, 5], ratio 1/16, divisor 8, dilated 3x3, split input.</summary>
    public static SelectiveKernelOptions Default { get; } = new();

    /// <summary>Creates the Selective Kernel convolution of an SK block with these settings.</summary>
    internal SelectiveKernel Create(int inChannels, int outChannels, int stride, int dilation, int groups, Func<DropBlock>? dropBlock) =>
        new(inChannels, outChannels, KernelSizes, stride, dilation, groups, ReductionRatio, ReductionDivisor,
            keepThreeByThree: KeepThreeByThree, splitInput: SplitInput, dropBlock: dropBlock);
}
