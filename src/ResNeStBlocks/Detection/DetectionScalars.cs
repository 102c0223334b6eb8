using TorchSharp;

namespace ResNeStBlocks.Detection;

/// <summary>Constant scalars of the detection operations, held for the life of the process (see <see cref="HeldScalars"/>).</summary>
internal static class DetectionScalars
{
    public static readonly Scalar Zero = 0.0;
    public static readonly Scalar One = 1.0;
    public static readonly Scalar Half = 0.5;
    public static readonly Scalar MinusOne = -1.0;
    public static readonly Scalar OneLong = 1L;
    public static readonly Scalar ZeroLong = 0L;
}
