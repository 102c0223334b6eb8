using System;
using System.Collections.Generic;
using System.Linq;
using static TorchSharp.torch;

namespace ResNeStBlocks.Weights;

/// <summary>
/// The classifier head (timm's <c>fc</c>) and the one rule for loading weights around it, as timm loads pretrained
/// weights: a classifier that does not fit (another class count, or a module without one) is left as it is, and every
/// other key must fit. Models whose heads have other keys (torchvision's segmentation models) name their own.
/// </summary>
internal static class ClassifierKeys
{
    /// <summary>Whether <paramref name="key"/> belongs to the classifier head.</summary>
    /// <param name="key">A state-dict key.</param>
    /// <returns>True for <c>fc.weight</c>, <c>fc.bias</c> and anything else under <c>fc.</c>.</returns>
    public static bool Contains(string key) => key.StartsWith("fc.", StringComparison.Ordinal);

    /// <summary>Loads a weights file into <paramref name="module"/> by key, leaving out a classifier (<c>fc.*</c>) that does not fit.</summary>
    /// <returns>The missing, unexpected and skipped (classifier) keys.</returns>
    public static LoadResult LoadSkippingUnfit(nn.Module module, string path, bool strict = true) =>
        LoadSkippingUnfit(module, path, Contains, strict);

    /// <summary>
    /// Loads a weights file into <paramref name="module"/> by key, leaving out every key <paramref name="isClassifier"/>
    /// names that does not fit: the module lacks it, the file lacks it, or the shapes differ.
    /// </summary>
    /// <returns>The missing, unexpected and skipped (classifier) keys.</returns>
    public static LoadResult LoadSkippingUnfit(nn.Module module, string path, Func<string, bool> isClassifier, bool strict = true)
    {
        var tensors = WeightsFile.Load(path);
        try
        {
            var own = module.state_dict();
            bool Unfit(string key) => isClassifier(key)
                && (!own.TryGetValue(key, out var mine) || !tensors.TryGetValue(key, out var theirs) || !mine.shape.SequenceEqual(theirs.shape));
            return StateDictLoader.Load(module, tensors, strict, Unfit);
        }
        finally
        {
            foreach (var tensor in tensors.Values)
                tensor.Dispose();
        }
    }
}
