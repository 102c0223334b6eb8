using System;
using System.Collections.Generic;
using System.Linq;

namespace ResNeStBlocks.Weights;

/// <summary>
/// A checkpoint read and checked down to the last byte, before any tensor memory exists: the state dict's tensors
/// (as views of storages) in the file's order, and where each storage they use lies in the file.
/// </summary>
internal sealed record CheckpointDescription(IReadOnlyList<KeyValuePair<string, TensorReference>> Tensors, IReadOnlyList<StorageLocation> Storages)
{
    /// <summary>
    /// The entries of a training checkpoint that hold the model's weights, in the order they are looked for: timm's
    /// <c>load_state_dict</c> without EMA (<c>state_dict</c>, written by timm's <c>train.py</c>, then <c>model</c>,
    /// written by torchvision's <c>references/*/train.py</c>). The EMA copies (<c>state_dict_ema</c>,
    /// <c>model_ema</c>) are not taken: the raw weights are what torchvision's <c>--resume</c> and timm's
    /// <c>validate.py</c> (without <c>--use-ema</c>) read.
    /// </summary>
    public static readonly string[] WeightsEntries = ["state_dict", "model"];

    /// <summary>
    /// The state dict inside a pickle's root: a dict or OrderedDict from string keys to tensors, or a training
    /// checkpoint (a dict whose <see cref="WeightsEntries"/> entry is such a dict, beside the optimizer, the scheduler,
    /// the epoch and the command line, which are read and checked but not loaded). Anything else (weights under
    /// another name, a number, a string) is named in the error.
    /// </summary>
    public static List<KeyValuePair<string, TensorReference>> StateDict(object? root, Func<string, Exception> fail)
    {
        if (root is not PickleDict dict)
            throw fail($"the pickle holds {PickleMachine.Describe(root)}, not a state dict (a dict of tensors).");
        foreach (string entry in WeightsEntries)
            foreach (var (key, value) in dict.Items)
                if (key is string name && name == entry && value is PickleDict weights)
                    return TensorsOf(weights, $"the training checkpoint's '{entry}'", fail);
        return TensorsOf(dict, "the state dict", fail);
    }

    private static List<KeyValuePair<string, TensorReference>> TensorsOf(PickleDict dict, string what, Func<string, Exception> fail)
    {
        var tensors = new List<KeyValuePair<string, TensorReference>>(dict.Items.Count);
        foreach (var (key, value) in dict.Items)
        {
            if (key is not string name)
                throw fail($"{what} has the integer key {key}; its keys are parameter names.");
            if (value is TensorReference tensor)
            {
                tensors.Add(new KeyValuePair<string, TensorReference>(name, tensor));
                continue;
            }
            string hint = value is PickleDict inner && inner.Items.Any(i => i.Value is TensorReference)
                ? $" It looks like a whole training checkpoint, but its weights are not under {string.Join(" or ", WeightsEntries.Select(e => $"'{e}'"))} "
                    + "as torchvision's and timm's training scripts save them; save its state dict alone in Python (torch.save(checkpoint['" + name + "'], path))."
                : "";
            throw fail($"{what}'s entry '{name}' is {PickleMachine.Describe(value)}, not a tensor.{hint}");
        }
        return tensors;
    }

    /// <summary>The storages that the state dict's tensors use, in first-use order.</summary>
    public static IEnumerable<StorageReference> Used(IEnumerable<KeyValuePair<string, TensorReference>> tensors) =>
        tensors.Select(t => t.Value.Storage).Distinct();
}
