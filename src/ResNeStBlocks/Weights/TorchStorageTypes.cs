using System.Collections.Generic;
using static TorchSharp.torch;

namespace ResNeStBlocks.Weights;

/// <summary>
/// The storage classes a PyTorch checkpoint names in its persistent ids (<c>torch.FloatStorage</c> and its kin),
/// with the element type each one holds.
/// </summary>
internal static class TorchStorageTypes
{
    private static readonly Dictionary<string, (ScalarType Type, int Size)> ByName = new()
    {
        ["FloatStorage"] = (ScalarType.Float32, 4),
        ["DoubleStorage"] = (ScalarType.Float64, 8),
        ["HalfStorage"] = (ScalarType.Float16, 2),
        ["BFloat16Storage"] = (ScalarType.BFloat16, 2),
        ["LongStorage"] = (ScalarType.Int64, 8),
        ["IntStorage"] = (ScalarType.Int32, 4),
        ["ShortStorage"] = (ScalarType.Int16, 2),
        ["CharStorage"] = (ScalarType.Int8, 1),
        ["ByteStorage"] = (ScalarType.Byte, 1),
        ["BoolStorage"] = (ScalarType.Bool, 1),
    };

    /// <summary>The class names understood, such as <c>FloatStorage</c>.</summary>
    public static IReadOnlyCollection<string> Names => ByName.Keys;

    /// <summary>Looks up a storage class of module <c>torch</c>.</summary>
    /// <param name="name">The class name, such as <c>FloatStorage</c>.</param>
    /// <param name="type">The element type.</param>
    /// <param name="elementSize">Bytes per element.</param>
    /// <returns>Whether the class is supported.</returns>
    public static bool TryParse(string name, out ScalarType type, out int elementSize)
    {
        if (ByName.TryGetValue(name, out var entry))
        {
            (type, elementSize) = entry;
            return true;
        }
        (type, elementSize) = (default, 0);
        return false;
    }
}
