using ResNeStBlocks.Layers;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNeStBlocks.Backbones;

/// <summary>
/// Shortcut projections for residual blocks whose stride or width changes, with timm's keys.
/// </summary>
public static class Downsample
{
    /// <summary>
    /// Strided convolution + BatchNorm (the original ResNet shortcut; timm <c>downsample_conv</c>).
    /// Keys: <c>0.weight</c> (convolution), <c>1.*</c> (BatchNorm).
    /// </summary>
    /// <param name="inChannels">Input channels.</param>
    /// <param name="outChannels">Output channels.</param>
    /// <param name="kernelSize">Kernel size when the shortcut strides or dilates; 1 otherwise (timm <c>down_kernel_size</c>).</param>
    /// <param name="stride">Stride.</param>
    /// <param name="dilation">Dilation of the stage.</param>
    /// <param name="firstDilation">Dilation of the previous stage (defaults to <paramref name="dilation"/>).</param>
    /// <returns>A two-module <see cref="TorchSharp.Modules.Sequential"/>.</returns>
    public static TorchSharp.Modules.Sequential Convolution(int inChannels, int outChannels, int kernelSize = 1, int stride = 1,
        int dilation = 1, int? firstDilation = null)
    {
        Guard.Positive(inChannels, nameof(inChannels));
        Guard.Positive(outChannels, nameof(outChannels));
        Guard.Positive(kernelSize, nameof(kernelSize));
        Guard.Positive(stride, nameof(stride));
        Guard.Positive(dilation, nameof(dilation));
        Runtime.NativeRuntime.EnsureCpuChecked();
        int kernel = stride == 1 && dilation == 1 ? 1 : kernelSize;
        int convDilation = kernel > 1 ? firstDilation ?? dilation : 1;
        Guard.Positive(convDilation, nameof(firstDilation));
        return nn.Sequential(
            nn.Conv2d(inChannels, outChannels, kernel, stride: stride, padding: ChannelMath.SamePadding(kernel, stride, convDilation),
                dilation: convDilation, bias: false),
            nn.BatchNorm2d(outChannels));
    }

    /// <summary>
    /// ResNet-D average-pool shortcut (He et al., 2019; timm <c>downsample_avg</c>): a 2x2 average pool
    /// with <c>ceil_mode</c> and no padding counted (identity at stride 1; a same-padded stride-1 pool in a
    /// dilated stage), then 1x1 convolution + BatchNorm. Keys: <c>1.weight</c>, <c>2.*</c>.
    /// </summary>
    /// <param name="inChannels">Input channels.</param>
    /// <param name="outChannels">Output channels.</param>
    /// <param name="stride">Stride.</param>
    /// <param name="dilation">Dilation of the stage; above 1 the pool keeps the resolution.</param>
    /// <returns>A three-module <see cref="TorchSharp.Modules.Sequential"/>.</returns>
    public static TorchSharp.Modules.Sequential Average(int inChannels, int outChannels, int stride = 1, int dilation = 1)
    {
        Guard.Positive(inChannels, nameof(inChannels));
        Guard.Positive(outChannels, nameof(outChannels));
        Guard.Positive(stride, nameof(stride));
        Guard.Positive(dilation, nameof(dilation));
        Runtime.NativeRuntime.EnsureCpuChecked();
        nn.Module<Tensor, Tensor> pool = (stride, dilation) switch
        {
            (1, 1) => nn.Identity(),
            (_, > 1) => new SamePaddedAvgPool(),
            _ => nn.AvgPool2d(2, stride, ceil_mode: true, count_include_pad: false),
        };
        return nn.Sequential(pool, nn.Conv2d(inChannels, outChannels, 1, bias: false), nn.BatchNorm2d(outChannels));
    }
}
