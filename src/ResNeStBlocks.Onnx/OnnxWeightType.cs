namespace ResNeStBlocks.Onnx;

/// <summary>How the exported file stores the weights.</summary>
public enum OnnxWeightType
{
    /// <summary>Float32 initializers, the default: the graph computes exactly in float32.</summary>
    Float32,

    /// <summary>
    /// Float16 initializers, each cast to float32 in the graph (ONNX Runtime folds the casts at load time): half the
    /// file size; the computation stays float32, with the weights rounded to float16 once.
    /// </summary>
    Float16,
}
