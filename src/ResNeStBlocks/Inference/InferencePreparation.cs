using System;
using System.Collections.Generic;
using System.Linq;
using ResNeStBlocks.Description;
using ResNeStBlocks.Layers;
using static TorchSharp.torch;

namespace ResNeStBlocks.Inference;

/// <summary>
/// Prepares a trained network for inference by folding each BatchNorm into the convolution that feeds it:
/// <c>model.FoldBatchNorm()</c>.
/// </summary>
/// <remarks>
/// <para>In eval mode a BatchNorm is a per-channel affine map, so a convolution followed only by a BatchNorm
/// equals one convolution with scaled weights and a bias. Folding removes one kernel and one pass over the
/// activations per pair; outputs equal the unfolded eval-mode network within float32 rounding.</para>
/// <para>Pairs folded: every convolution/BatchNorm pair that the description of a module of this library names
/// (<see cref="Description.IDescribedModule"/>): <c>conv1/bn1</c> ... <c>conv3/bn3</c> and <c>convs.i/bns.i</c> in the
/// residual blocks, <c>conv/bn</c>, <c>conv/bn0</c>, <c>fc1/bn1</c> and <c>fc_reduce/bn</c> in the layers, the deep
/// stem's pairs and its last convolution with <c>bn1</c>, and each shortcut's convolution with its BatchNorm.
/// BatchNorms of modules from outside this library are left alone.</para>
/// <para>The folded network no longer has timm's state-dict keys: the BatchNorm keys are gone and the folded
/// convolutions gain a <c>bias</c>. Load weights first, then fold. Folding is for inference only: a folded
/// module (a <see cref="FoldableModule"/>) refuses <c>train()</c>, and <c>LoadWeights</c> refuses to load into it,
/// both with an <see cref="InvalidOperationException"/>.</para>
/// </remarks>
public static class InferencePreparation
{
    /// <summary>
    /// Switches <paramref name="model"/> to eval mode and folds every BatchNorm owned by a module of this
    /// library into its convolution, in place. Calling it again folds nothing more.
    /// </summary>
    /// <param name="model">A network or block, with its final weights loaded.</param>
    /// <returns>The number of BatchNorm layers folded.</returns>
    /// <example><code>model.LoadWeights("model.safetensors");
    /// model.FoldBatchNorm();</code></example>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> is null.</exception>
    /// <exception cref="InvalidOperationException">A BatchNorm keeps no running statistics.</exception>
    public static int FoldBatchNorm(this nn.Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        model.eval();
        return BatchNormFolder.Fold(model);
    }

    /// <summary>Whether any module of <paramref name="model"/> has had its BatchNorms folded.</summary>
    /// <param name="model">A network or block.</param>
    /// <returns>True once <see cref="FoldBatchNorm"/> has folded anything in it.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> is null.</exception>
    public static bool IsBatchNormFolded(this nn.Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return WithDescendants(model).OfType<FoldableModule>().Any(owner => owner.IsFolded);
    }

    private static IEnumerable<nn.Module> WithDescendants(nn.Module model) =>
        model.modules().Prepend(model).Distinct();
}
