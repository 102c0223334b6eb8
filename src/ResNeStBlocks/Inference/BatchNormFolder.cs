using System.Collections.Generic;
using System.Linq;
using ResNeStBlocks.Description;
using ResNeStBlocks.Layers;
using TorchSharp;
using TorchSharp.Modules;

namespace ResNeStBlocks.Inference;

/// <summary>
/// Folds the convolution/BatchNorm pairs that the descriptions of this library's modules name: each BatchNorm's eval
/// transform goes into its convolution's weight and bias, and the BatchNorm leaves the module tree.
/// </summary>
/// <remarks>
/// Only pairs described by a <see cref="FoldableModule"/> (directly, or inside a Sequential such a module applies) are
/// folded, because only those modules run without the BatchNorm afterwards; the BatchNorms of other modules are left
/// alone. Modules without a description are searched for library modules inside them.
/// </remarks>
internal static class BatchNormFolder
{
    /// <summary>Folds every pair in <paramref name="model"/>; returns the number of BatchNorms folded.</summary>
    public static int Fold(torch.nn.Module model)
    {
        var pairs = new PairCollector().Collect(model);
        foreach (var pair in pairs)
            BatchNormFolding.FoldInto(pair.Convolution, pair.Norm);
        ChildSurgery.Remove(model, pairs.Select(pair => pair.NormPath));
        foreach (var pair in pairs)
        {
            pair.Owner.MarkFolded();
            pair.Norm.Dispose();
        }
        return pairs.Count;
    }

    private sealed record Pair(Conv2d Convolution, BatchNorm2d Norm, string NormPath, FoldableModule Owner);

    private sealed class PairCollector : StructureGraph
    {
        private readonly List<Pair> pairs = new();

        public List<Pair> Collect(torch.nn.Module model)
        {
            Walk(model, Fresh());
            return pairs;
        }

        protected override GraphValue OnConvolution(Conv2d convolution, string convolutionPath, GraphValue input, BatchNorm2d? norm, string? normPath, Activation activation)
        {
            // The module that owns the pair: the described one, or the one applying the Sequential that describes it.
            var owner = EnclosingModules.FirstOrDefault(module => module is not Sequential);
            if (norm is not null && owner is FoldableModule foldable)
                pairs.Add(new Pair(convolution, norm, normPath!, foldable));
            return Fresh();
        }

        /// <summary>A module without a description may still hold library modules: look inside it.</summary>
        protected override GraphValue Undescribed(torch.nn.Module module, string path, GraphValue input)
        {
            foreach (var child in module.children())
                Call(child, Fresh());
            return Fresh();
        }
    }
}
