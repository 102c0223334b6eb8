using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Microsoft.ML.OnnxRuntime;
using ResNeStBlocks.Samples.OnnxImages;

namespace ResNeStBlocks.Samples.OnnxClassify;

/// <summary>One class and its probability.</summary>
/// <param name="ClassIndex">Index into the classifier's outputs.</param>
/// <param name="Probability">Softmax probability.</param>
public sealed record Prediction(int ClassIndex, float Probability);

/// <summary>
/// Classifies images with an ONNX model exported by ResNeStBlocks.Onnx: ONNX Runtime on the CPU and the
/// preprocessing from the model's own metadata. No TorchSharp.
/// </summary>
public sealed class OnnxImageClassifier : IDisposable
{
    private readonly InferenceSession session;

    /// <summary>Loads the model with every graph optimization on.</summary>
    /// <param name="modelPath">The .onnx file.</param>
    /// <param name="threads">Intra-op threads (0: ONNX Runtime's default).</param>
    public OnnxImageClassifier(string modelPath, int threads = 0)
    {
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, IntraOpNumThreads = threads };
        session = new InferenceSession(modelPath, options);
        Preprocessor = RgbPreprocessor.FromMetadata(session.ModelMetadata.CustomMetadataMap.AsReadOnly());
    }

    /// <summary>The preprocessing the model's metadata asks for.</summary>
    public RgbPreprocessor Preprocessor { get; }

    /// <summary>The logits for preprocessed images [batch, 3, S, S] (row-major).</summary>
    public float[] Logits(float[] batch, int count)
    {
        int size = Preprocessor.InputSize;
        using var input = OrtValue.CreateTensorValueFromMemory(batch, new long[] { count, 3, size, size });
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, new[] { "input" }, new[] { input }, new[] { "logits" });
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    /// <summary>The <paramref name="top"/> most probable classes of an image file.</summary>
    public IReadOnlyList<Prediction> Classify(string imagePath, int top = 5)
    {
        var image = ImageFiles.Decode(imagePath);
        var logits = Logits(Preprocessor.Process(image.Data, image.Height, image.Width), 1);
        float max = logits.Max();
        var exp = logits.Select(l => MathF.Exp(l - max)).ToArray();
        float sum = exp.Sum();
        return exp.Select((e, i) => new Prediction(i, e / sum)).OrderByDescending(p => p.Probability).Take(top).ToList();
    }

    /// <inheritdoc />
    public void Dispose() => session.Dispose();
}
