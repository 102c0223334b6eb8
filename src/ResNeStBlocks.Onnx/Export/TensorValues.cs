using System.Linq;
using static TorchSharp.torch;

namespace ResNeStBlocks.Onnx.Export;

/// <summary>Copies parameter values to the host for the exported file (export time, never a forward pass).</summary>
internal static class TensorValues
{
    /// <summary>The values of <paramref name="tensor"/> in float64, row-major, from any device or dtype; the tensor is unchanged.</summary>
    public static double[] Read(Tensor tensor)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        return tensor.detach().to(ScalarType.Float64).cpu().contiguous().data<double>().ToArray();
    }

    public static float[] ToFloat(double[] values) => values.Select(v => (float)v).ToArray();
}
