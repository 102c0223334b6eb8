using System;
using ResNeStBlocks.Description;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNeStBlocks.Layers;

/// <summary>
/// A module of this library whose BatchNorms can be folded into the convolutions before them for inference. Its
/// description (<see cref="IDescribedModule.Describe"/>) names each convolution/BatchNorm pair, and folding reads
/// the pairs from there. Once folded, the module runs in eval mode only: the folded convolutions no longer compute
/// what the BatchNorms would in training.
/// </summary>
/// <remarks>Fold a whole network with <c>model.FoldBatchNorm()</c> (<c>Inference.InferencePreparation</c>).</remarks>
public abstract class FoldableModule : nn.Module<Tensor, Tensor>, IDescribedModule
{
    private protected FoldableModule(string name) : base(name)
    {
        Runtime.NativeRuntime.EnsureCpuChecked();
    }

    /// <summary>Whether BatchNorms of this module have been folded into its convolutions.</summary>
    public bool IsFolded { get; private set; }

    /// <summary>Switches training mode; a folded module accepts eval mode only.</summary>
    /// <param name="on">True for training mode.</param>
    /// <exception cref="InvalidOperationException">Training is requested after the BatchNorms were folded.</exception>
    public sealed override void train(bool on = true)
    {
        if (IsFolded && on)
            throw new InvalidOperationException(
                $"{GetName()} has had its BatchNorm layers folded into its convolutions for inference; it can only run in eval mode. " +
                "Train (and load weights into) a model before folding it.");
        base.train(on);
    }

    // Explicit, so that the description does not crowd the members a user reads; ForwardGraph calls it through the interface.
    GraphValue IDescribedModule.Describe(ForwardGraph graph, GraphValue input) => DescribeForward(graph, input);

    /// <summary>Describes the eval-mode forward (see <see cref="IDescribedModule.Describe"/>).</summary>
    private protected abstract GraphValue DescribeForward(ForwardGraph graph, GraphValue input);

    /// <summary>Records that a BatchNorm this module's description names has been folded away.</summary>
    internal void MarkFolded() => IsFolded = true;
}
