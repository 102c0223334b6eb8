using Microsoft.ML.OnnxRuntime;

namespace ResNeStBlocks.Samples.OnnxDeploy;

/// <summary>The ONNX Runtime session the benchmarks time: every graph optimisation, a fixed number of intra-op threads, sequential.</summary>
public static class BenchmarkSession
{
    /// <summary>Loads <paramref name="onnxPath"/> for the CPU with <paramref name="threads"/> intra-op threads and one inter-op thread.</summary>
    public static InferenceSession Open(string onnxPath, int threads)
    {
        using var options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            IntraOpNumThreads = threads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
        };
        return new InferenceSession(onnxPath, options);
    }
}
