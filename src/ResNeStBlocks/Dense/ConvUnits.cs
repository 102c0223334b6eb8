using System.Linq;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ResNeStBlocks.Dense;

/// <summary>
/// The convolution units the dense heads are built from, as <see cref="Sequential"/>s whose child indices are the
/// reference's state-dict keys: torchvision's convolution + BatchNorm + ReLU (<c>0.weight</c>, <c>1.*</c>) and
/// segmentation_models_pytorch's depthwise-separable convolution (<c>0.weight</c> depthwise, <c>1.weight</c> pointwise).
/// </summary>
internal static class ConvUnits
{
    /// <summary>Convolution without bias, BatchNorm, ReLU; padding keeps the size (<c>dilation * (kernel - 1) / 2</c>).</summary>
    public static Sequential ConvBnRelu(int inChannels, int outChannels, int kernelSize, int dilation = 1) =>
        nn.Sequential(
            nn.Conv2d(inChannels, outChannels, kernelSize, padding: dilation * (kernelSize - 1) / 2, dilation: dilation, bias: false),
            nn.BatchNorm2d(outChannels),
            nn.ReLU(inplace: true));

    /// <summary>
    /// torchvision's <c>Conv2dNormActivation</c> with BatchNorm2d or without norm: with it, <see cref="ConvBnRelu"/>;
    /// without, a convolution with bias (<c>0.*</c>) and ReLU.
    /// </summary>
    public static Sequential ConvNormRelu(int inChannels, int outChannels, int kernelSize, int dilation, bool batchNorm) =>
        batchNorm
            ? ConvBnRelu(inChannels, outChannels, kernelSize, dilation)
            : nn.Sequential(
                nn.Conv2d(inChannels, outChannels, kernelSize, padding: dilation * (kernelSize - 1) / 2, dilation: dilation),
                nn.ReLU(inplace: true));

    /// <summary>
    /// smp's <c>SeparableConv2d</c>: a depthwise <paramref name="kernelSize"/> convolution (one filter per input channel,
    /// no bias), then a 1x1 convolution to <paramref name="outChannels"/> (without bias, as every use here has a
    /// BatchNorm after it).
    /// </summary>
    public static Sequential Separable(int inChannels, int outChannels, int kernelSize, int dilation = 1) =>
        nn.Sequential(
            nn.Conv2d(inChannels, inChannels, kernelSize, padding: dilation * (kernelSize - 1) / 2, dilation: dilation,
                groups: inChannels, bias: false),
            nn.Conv2d(inChannels, outChannels, 1, bias: false));

    /// <summary>smp's <c>ASPPSeparableConv</c> and the decoder's separable blocks: separable convolution, BatchNorm, ReLU.</summary>
    public static Sequential SeparableBnRelu(int inChannels, int outChannels, int kernelSize, int dilation = 1) =>
        nn.Sequential(
            Separable(inChannels, outChannels, kernelSize, dilation),
            nn.BatchNorm2d(outChannels),
            nn.ReLU(inplace: true));

    /// <summary>
    /// torchvision's initialisation of the detection heads' convolutions (<c>FastRCNNConvFCHead</c>, <c>MaskRCNNHeads</c>):
    /// every <see cref="Conv2d"/> under <paramref name="module"/> Kaiming-normal with fan-out and ReLU's gain, biases zero.
    /// </summary>
    public static void InitialiseKaimingFanOut(nn.Module module)
    {
        using (no_grad())
        {
            foreach (var conv in module.modules().OfType<Conv2d>())
            {
                nn.init.kaiming_normal_(conv.weight!, mode: nn.init.FanInOut.FanOut, nonlinearity: nn.init.NonlinearityType.ReLU);
                if (conv.bias is { } bias)
                    nn.init.zeros_(bias);
            }
        }
    }
}
