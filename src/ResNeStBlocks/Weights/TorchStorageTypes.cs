using System.Collections.Generic;
using static TorchSharp.torch;

namespace ResNeStBlocks.Weights;

/// <summary>
/// The storage classes a PyTorch checkpoint names in its persistent ids (<c>torch.FloatStorage</c> and its kin),
/// with the element type each one holds.
/// </summary>
internal static class TorchStorageTypes
{
    /// <summary>Class name (of module <c>torch</c>) to element type and size.</summary>
    public static ScalarTypeNames Table { get; } = new(new Dictionary<string, (ScalarType, int)>
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
    });
}
