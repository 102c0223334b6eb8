using System;
using System.IO;
using ResNeStBlocks.Samples.Detect;
using ResNeStBlocks.Samples.Progress;

namespace ResNeStBlocks.Samples.Tests;

/// <summary>
/// One short Detect run on generated shapes (shared by the tests that inspect it): the demo generator with fewer
/// images, the tiny Faster R-CNN trained from scratch with AdamW, one thread (so runs repeat bit for bit), and the ONNX export.
/// </summary>
public sealed class ShortDetectRun : IDisposable
{
    public ShortDetectRun()
    {
        DemoShapes.Write(DataDirectory, trainImages: 96, valImages: 16, seed: 3);
        Options = new DetectOptions
        {
            DataDirectory = DataDirectory,
            OutputDirectory = Path.Combine(Root, "out"),
            Model = DetectModelFactory.TinyModel,
            Epochs = 3,
            BatchSize = 4,
            Optimizer = "adamw",
            LearningRate = 1e-3,
            Milestones = new[] { 3 },
            Threads = 1,
            ExportOnnx = true,
        };
        var output = new StringWriter();
        int threads = TorchSharp.torch.get_num_threads();
        TorchSharp.torch.set_num_threads(1);
        try
        {
            Result = DetectApp.Train(Options, output);
        }
        finally
        {
            TorchSharp.torch.set_num_threads(threads);
        }
        Output = output.ToString();
    }

    public string Root { get; } = Path.Combine(Path.GetTempPath(), "detect-tests-" + Guid.NewGuid().ToString("N"));

    public string DataDirectory => Path.Combine(Root, "data");

    public DetectOptions Options { get; }

    public DetectResult Result { get; }

    public string Output { get; }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
