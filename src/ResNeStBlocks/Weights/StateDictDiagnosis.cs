using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNeStBlocks.Weights;

/// <summary>
/// Recognises the two common reasons a load fails, so the exception can say the fix: weights made for
/// another architecture (most of the module's tensors do not fit), and a classifier head with another
/// class count (nothing but <c>fc.*</c> differs).
/// </summary>
internal static class StateDictDiagnosis
{
    /// <summary>Builds the exception for a failed load, with its diagnosis when one applies.</summary>
    /// <param name="module">The module being loaded.</param>
    /// <param name="source">The state dict offered.</param>
    /// <param name="loadable">How many of the module's keys (those not skipped) the load covers.</param>
    /// <param name="offered">How many of the state dict's keys (those not skipped) the load covers.</param>
    /// <param name="fitting">How many of the module's keys the state dict has with a fitting shape and dtype.</param>
    /// <param name="missing">Missing keys.</param>
    /// <param name="unexpected">Unexpected keys.</param>
    /// <param name="mismatchedKeys">Keys whose shape or dtype disagrees.</param>
    /// <param name="mismatches">One description per mismatched key.</param>
    /// <returns>The exception to throw.</returns>
    public static StateDictMismatchException Exception(nn.Module module, IReadOnlyDictionary<string, Tensor> source, int loadable, int offered, int fitting,
        IReadOnlyList<string> missing, IReadOnlyList<string> unexpected, IReadOnlyList<string> mismatchedKeys, IReadOnlyList<string> mismatches)
    {
        string? diagnosis = null, zooModel = null;
        var problemKeys = missing.Concat(unexpected).Concat(mismatchedKeys);
        if (problemKeys.All(ClassifierKeys.Contains))
        {
            diagnosis = "Only the classifier (fc.*) differs" + ClassCounts(module, source)
                + ": pass skipClassifier: true to LoadWeights to load everything else and keep the model's own head.";
        }
        else if (fitting * 2 < System.Math.Max(loadable, offered))
        {
            zooModel = ArchitectureMatcher?.Invoke(source.ToDictionary(kv => kv.Key, kv => kv.Value.shape));
            diagnosis = $"This file looks like weights for a different architecture: only {fitting} tensors fit, of the module's {loadable} and the file's {offered}. "
                + (zooModel is null
                    ? "Its keys match no ModelZoo model."
                    : $"Its keys and shapes are those of the zoo model '{zooModel}': create that model with ModelZoo.Create(\"{zooModel}\").");
        }
        return new StateDictMismatchException(ModuleNames.Of(module), missing, unexpected, mismatches, diagnosis, zooModel);
    }

    /// <summary>
    /// Names the model zoo's architecture a state dict was made for, or null; the zoo, which knows the architectures,
    /// sets it when it is first used (the weights layer does not depend on the zoo).
    /// </summary>
    internal static Func<IReadOnlyDictionary<string, long[]>, string?>? ArchitectureMatcher { get; set; }

    private static string ClassCounts(nn.Module module, IReadOnlyDictionary<string, Tensor> source) =>
        source.TryGetValue("fc.weight", out var theirs) && theirs.shape.Length == 2
            && module.named_parameters().FirstOrDefault(p => p.name == "fc.weight").parameter is { } mine && mine.shape.Length == 2
            ? $" (the file has {theirs.shape[0]} classes, the model {mine.shape[0]})"
            : "";
}
