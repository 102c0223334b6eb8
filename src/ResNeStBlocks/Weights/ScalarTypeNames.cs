using System.Collections.Generic;
using static TorchSharp.torch;

namespace ResNeStBlocks.Weights;

/// <summary>A file format's names for element types (such as safetensors' <c>F32</c> or torch's <c>FloatStorage</c>), with each one's torch type and size.</summary>
internal sealed class ScalarTypeNames(Dictionary<string, (ScalarType Type, int Size)> byName)
{
    /// <summary>The names understood.</summary>
    public IReadOnlyCollection<string> Names => byName.Keys;

    /// <summary>Looks up a name.</summary>
    /// <param name="name">The name as the file spells it.</param>
    /// <param name="type">The torch scalar type.</param>
    /// <param name="elementSize">Bytes per element.</param>
    /// <returns>Whether the name is known.</returns>
    public bool TryParse(string name, out ScalarType type, out int elementSize)
    {
        if (byName.TryGetValue(name, out var entry))
        {
            (type, elementSize) = entry;
            return true;
        }
        (type, elementSize) = (default, 0);
        return false;
    }

    /// <summary>The name of a torch type, or null when the format has none for it.</summary>
    public string? NameOf(ScalarType type)
    {
        foreach (var (name, entry) in byName)
            if (entry.Type == type)
                return name;
        return null;
    }
}
