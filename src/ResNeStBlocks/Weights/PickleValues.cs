using System.Collections.Generic;
using static TorchSharp.torch;

namespace ResNeStBlocks.Weights;

/// <summary>
/// The values the restricted unpickler builds (besides strings, integers, floats, booleans and null). None of them
/// holds tensor memory: a checkpoint is described completely, and checked, before anything is allocated.
/// </summary>
internal abstract class PickleContainer
{
    /// <summary>How deeply containers nest inside this one (1 for one holding no container).</summary>
    public int Depth { get; set; } = 1;
}

/// <summary>A Python tuple.</summary>
internal sealed class PickleTuple(object?[] items) : PickleContainer
{
    public object?[] Items { get; } = items;
}

/// <summary>A Python list.</summary>
internal sealed class PickleList : PickleContainer
{
    public List<object?> Items { get; } = new();
}

/// <summary>A <c>dict</c> or <c>collections.OrderedDict</c>, in insertion order; keys are strings or integers.</summary>
internal sealed class PickleDict(bool ordered) : PickleContainer
{
    public bool Ordered { get; } = ordered;

    public List<KeyValuePair<object, object?>> Items { get; } = new();

    /// <summary>Keys already present, so that a repeated key is caught at once.</summary>
    public HashSet<object> Keys { get; } = new();

    /// <summary>Whether <c>_metadata</c> (module versions, which torch attaches to a state dict) has been set.</summary>
    public bool HasMetadata { get; set; }
}

/// <summary>One of the few globals the unpickler allows, named <c>module.name</c>.</summary>
internal sealed record PickleGlobal(string Module, string Name)
{
    public override string ToString() => Module + "." + Name;
}

/// <summary>A storage named by a persistent id: its key in the file, element type, location and element count.</summary>
internal sealed record StorageReference(string Key, string TypeName, ScalarType Type, int ElementSize, string Location, long Elements)
{
    /// <summary>The storage's size in bytes (checked not to overflow when the id was read).</summary>
    public long Bytes => Elements * ElementSize;
}

/// <summary>A tensor as <c>torch._utils._rebuild_tensor_v2</c> describes it: a view of a storage.</summary>
internal sealed record TensorReference(StorageReference Storage, long Offset, long[] Shape, long[] Strides);

/// <summary>
/// An instance of one of the few plain-record classes a training checkpoint carries beside its weights (the parsed
/// command line, an <c>argparse.Namespace</c>), read as its attribute dict and never constructed.
/// </summary>
internal sealed class PickleRecord(PickleGlobal type) : PickleContainer
{
    public PickleGlobal Type { get; } = type;

    /// <summary>The attributes BUILD set, or null before BUILD.</summary>
    public PickleDict? Attributes { get; set; }
}
