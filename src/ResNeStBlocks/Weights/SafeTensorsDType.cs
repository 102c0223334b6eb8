using System.Collections.Generic;
using static TorchSharp.torch;

namespace ResNeStBlocks.Weights;

/// <summary>The safetensors dtype names this library reads and writes, and their torch equivalents.</summary>
internal static class SafeTensorsDType
{
    private static readonly ScalarTypeNames Table = new(new Dictionary<string, (ScalarType, int)>
    {
        ["F64"] = (ScalarType.Float64, 8),
        ["F32"] = (ScalarType.Float32, 4),
        ["F16"] = (ScalarType.Float16, 2),
        ["BF16"] = (ScalarType.BFloat16, 2),
        ["I64"] = (ScalarType.Int64, 8),
        ["I32"] = (ScalarType.Int32, 4),
        ["I16"] = (ScalarType.Int16, 2),
        ["I8"] = (ScalarType.Int8, 1),
        ["U8"] = (ScalarType.Byte, 1),
        ["BOOL"] = (ScalarType.Bool, 1),
    });

    /// <summary>The dtype names understood, such as <c>F32</c> and <c>BF16</c>.</summary>
    public static IReadOnlyCollection<string> Names => Table.Names;

    /// <summary>Looks up a safetensors dtype name.</summary>
    /// <param name="name">The name in the file's header, such as <c>F32</c>.</param>
    /// <param name="type">The torch scalar type.</param>
    /// <param name="elementSize">Bytes per element.</param>
    /// <returns>Whether the name is supported.</returns>
    public static bool TryParse(string name, out ScalarType type, out int elementSize) => Table.TryParse(name, out type, out elementSize);

    /// <summary>The safetensors name of a torch scalar type.</summary>
    /// <param name="type">A supported scalar type.</param>
    /// <returns>The name, such as <c>F32</c>.</returns>
    /// <exception cref="System.ArgumentException">The type has no safetensors name here.</exception>
    public static string NameOf(ScalarType type) =>
        Table.NameOf(type) ?? throw new System.ArgumentException($"Tensors of type {type} cannot be stored in safetensors by this library.", nameof(type));
}
