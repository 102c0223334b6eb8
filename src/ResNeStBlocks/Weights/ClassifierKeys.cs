using System;

namespace ResNeStBlocks.Weights;

/// <summary>The state-dict keys of a ResNet's classifier head (timm's <c>fc</c>), which fine-tuning replaces.</summary>
internal static class ClassifierKeys
{
    /// <summary>Whether <paramref name="key"/> belongs to the classifier head.</summary>
    /// <param name="key">A state-dict key.</param>
    /// <returns>True for <c>fc.weight</c>, <c>fc.bias</c> and anything else under <c>fc.</c>.</returns>
    public static bool Contains(string key) => key.StartsWith("fc.", StringComparison.Ordinal);
}
