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
    /// The state dict inside a pickle's root: a dict or OrderedDict from string keys to tensors. Anything else (a
    /// nested checkpoint such as <c>{'model': ..., 'optimizer': ...}</c>, a number, a string) is named in the error.
    /// </summary>
    public static List<KeyValuePair<string, TensorReference>> StateDict(object? root, Func<string, Exception> fail)
    {
        if (root is not PickleDict dict)
            throw fail($"the pickle holds {PickleMachine.Describe(root)}, not a state dict (a dict of tensors).");
        var tensors = new List<KeyValuePair<string, TensorReference>>(dict.Items.Count);
        foreach (var (key, value) in dict.Items)
        {
            if (key is not string name)
                throw fail($"the state dict has the integer key {key}; its keys are parameter names.");
            if (value is TensorReference tensor)
            {
                tensors.Add(new KeyValuePair<string, TensorReference>(name, tensor));
                continue;
            }
            string hint = value is PickleDict inner && inner.Items.Any(i => i.Value is TensorReference)
                ? " It looks like a whole training checkpoint; save its state dict alone in Python (torch.save(checkpoint['" + name + "'], path))."
                : "";
            throw fail($"the state dict's entry '{name}' is {PickleMachine.Describe(value)}, not a tensor.{hint}");
        }
        return tensors;
    }

    /// <summary>The storages that the state dict's tensors use, in first-use order.</summary>
    public static IEnumerable<StorageReference> Used(IEnumerable<KeyValuePair<string, TensorReference>> tensors) =>
        tensors.Select(t => t.Value.Storage).Distinct();
}
