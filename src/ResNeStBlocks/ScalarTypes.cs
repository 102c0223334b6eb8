using static TorchSharp.torch;

namespace ResNeStBlocks;

/// <summary>Scalar-type helpers.</summary>
internal static class ScalarTypes
{
    public static bool IsFloatingPoint(this ScalarType type) =>
        type is ScalarType.Float32 or ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Float64;
}
