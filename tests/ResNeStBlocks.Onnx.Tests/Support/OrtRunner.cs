using System.Collections.Generic;
using System.IO;
using System.Linq;
using Microsoft.ML.OnnxRuntime;
using ResNeStBlocks.Onnx;
using static TorchSharp.torch;

namespace ResNeStBlocks.Onnx.Tests.Support;

/// <summary>Exports a module to bytes and runs the file in ONNX Runtime (CPU, every graph optimization on).</summary>
public sealed class OrtRunner : System.IDisposable
{
    private readonly InferenceSession session;

    public OrtRunner(byte[] model)
    {
        using var options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            IntraOpNumThreads = 2,
        };
        session = new InferenceSession(model, options);
    }

    public static byte[] Export(nn.Module module, OnnxExportOptions? options = null)
    {
        using var stream = new MemoryStream();
        OnnxExporter.Export(module, stream, options);
        return stream.ToArray();
    }

    public static OrtRunner For(nn.Module module, OnnxExportOptions? options = null) => new(Export(module, options));

    public InferenceSession Session => session;

    /// <summary>Runs the graph on <paramref name="input"/> and returns every output as a CPU float32 tensor, by name.</summary>
    public Dictionary<string, Tensor> Run(Tensor input)
    {
        var data = input.detach().to(ScalarType.Float32).cpu().contiguous().data<float>().ToArray();
        using var value = OrtValue.CreateTensorValueFromMemory(data, input.shape);
        using var runOptions = new RunOptions();
        using var results = session.Run(runOptions, new[] { OnnxExporter.InputName }, new[] { value }, session.OutputNames);
        var outputs = new Dictionary<string, Tensor>();
        for (int i = 0; i < results.Count; i++)
        {
            var shape = results[i].GetTensorTypeAndShape().Shape;
            outputs[session.OutputNames[i]] = tensor(results[i].GetTensorDataAsSpan<float>().ToArray(), shape);
        }
        return outputs;
    }

    /// <summary>The only output (fails when the graph has several).</summary>
    public Tensor RunSingle(Tensor input) => Run(input).Single().Value;

    public void Dispose() => session.Dispose();
}
