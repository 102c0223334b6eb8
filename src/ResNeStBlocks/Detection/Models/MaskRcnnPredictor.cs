using System;
using System.Linq;
using ResNeStBlocks.Description;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ResNeStBlocks.Detection.Models;

/// <summary>
/// The mask predictor of Mask R-CNN (torchvision's <c>MaskRCNNPredictor</c>): a 2x2 transposed convolution with stride
/// 2 (14x14 to 28x28) and ReLU, then a 1x1 convolution to one mask logit map per class.
/// </summary>
/// <remarks>Keys: <c>conv5_mask.*</c>, <c>mask_fcn_logits.*</c>. Weights Kaiming normal (fan out, as torchvision
/// computes it for each weight's shape); biases keep PyTorch's default initialisation, as torchvision leaves them.</remarks>
public sealed class MaskRcnnPredictor : nn.Module<Tensor, Tensor>, IDescribedModule
{
    private readonly ConvTranspose2d conv5Mask;
    private readonly Conv2d maskFcnLogits;

    /// <summary>Creates the predictor.</summary>
    /// <param name="inChannels">Channels of the mask head (256).</param>
    /// <param name="dimReduced">Channels of the transposed convolution (256).</param>
    /// <param name="numClasses">Classes, background included.</param>
    public MaskRcnnPredictor(int inChannels, int dimReduced, int numClasses) : base(nameof(MaskRcnnPredictor))
    {
        Runtime.NativeRuntime.EnsureCpuChecked();
        Guard.Positive(inChannels, nameof(inChannels));
        Guard.Positive(dimReduced, nameof(dimReduced));
        Guard.Positive(numClasses, nameof(numClasses));
        NumClasses = numClasses;
        conv5Mask = nn.ConvTranspose2d(inChannels, dimReduced, 2, stride: 2);
        maskFcnLogits = nn.Conv2d(dimReduced, numClasses, 1);
        register_module("conv5_mask", conv5Mask);
        register_module("mask_fcn_logits", maskFcnLogits);
        using (no_grad())
        {
            foreach (var (name, parameter) in named_parameters().ToArray())
                if (name.Contains("weight", StringComparison.Ordinal))
                    nn.init.kaiming_normal_(parameter, mode: nn.init.FanInOut.FanOut, nonlinearity: nn.init.NonlinearityType.ReLU);
        }
    }

    /// <summary>Classes, background included.</summary>
    public int NumClasses { get; }

    /// <summary>Mask logits of every class.</summary>
    /// <param name="input">[K, C, 14, 14] mask features.</param>
    /// <returns>[K, classes, 28, 28].</returns>
    public override Tensor forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        using var scope = NewDisposeScope();
        var x = nn.functional.relu(conv5Mask.call(input));
        return maskFcnLogits.call(x).MoveToOuterDisposeScope();
    }

    /// <summary>Describes the eval-mode forward: the transposed convolution, ReLU, the 1x1 convolution.</summary>
    /// <param name="graph">The graph being built.</param>
    /// <param name="input">[K, C, 14, 14] mask features.</param>
    /// <returns>[K, classes, 28, 28].</returns>
    public GraphValue Describe(ForwardGraph graph, GraphValue input)
    {
        ArgumentNullException.ThrowIfNull(graph);
        return graph.Convolution(maskFcnLogits, graph.Relu(graph.TransposedConvolution(conv5Mask, input)));
    }

    /// <summary>Registers nothing: the constructor registered every child under torchvision's key.</summary>
    protected override void RegisterComponents()
    {
    }
}
