using System;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNeStBlocks.Layers;

/// <summary>
/// A module of this library that owns convolution + BatchNorm pairs (each convolution feeding only its
/// BatchNorm) and can fold them for inference. Once folded, the module runs in eval mode only: the folded
/// convolutions no longer compute what the BatchNorms would in training.
/// </summary>
/// <remarks>
/// Fold a whole network with <c>model.FoldBatchNorm()</c> (<see cref="Inference.InferencePreparation"/>); each
/// module folds only the pairs it owns directly, so children that are themselves foldable fold themselves.
/// </remarks>
public abstract class FoldableModule : nn.Module<Tensor, Tensor>
{
    private protected FoldableModule(string name) : base(name)
    {
        Runtime.NativeRuntime.EnsureCpuChecked();
    }

    /// <summary>Whether this module's BatchNorms have been folded into its convolutions.</summary>
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

    /// <summary>Folds the BatchNorms this module owns directly; does nothing the second time.</summary>
    /// <returns>The number of BatchNorm layers folded.</returns>
    internal int FoldOwnBatchNorms()
    {
        IsFolded = true;
        return FoldNorms();
    }

    /// <summary>Folds each BatchNorm this module owns directly into the convolution before it and removes it.</summary>
    /// <returns>The number folded (0 once the fields are cleared).</returns>
    private protected abstract int FoldNorms();
}
