using System.Collections.Generic;
using static TorchSharp.torch;

namespace ResNeStBlocks.Weights;

/// <summary>One tensor's description in a safetensors header.</summary>
/// <param name="Key">The tensor's name, such as <c>layer1.0.conv1.weight</c>.</param>
/// <param name="DType">The safetensors dtype name, such as <c>F32</c>.</param>
/// <param name="Type">The torch scalar type of <paramref name="DType"/>.</param>
/// <param name="Shape">The tensor's shape (empty for a scalar).</param>
/// <param name="Begin">Offset of the first byte, relative to the data region.</param>
/// <param name="End">Offset one past the last byte, relative to the data region.</param>
internal sealed record SafeTensorsEntry(string Key, string DType, ScalarType Type, IReadOnlyList<long> Shape, long Begin, long End)
{
    /// <summary>Byte length of the tensor's data.</summary>
    public long Length => End - Begin;
}
