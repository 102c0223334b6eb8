using System;
using System.IO;
using ResNeStBlocks.Samples.Train;

namespace ResNeStBlocks.Samples.Tests;

/// <summary>One short run of the Train sample, shared by the tests that inspect it (training is the slow part).</summary>
public sealed class ShortTrainingRun : IDisposable
{
    private readonly string directory = Path.Combine(Path.GetTempPath(), "train-tests-" + Guid.NewGuid().ToString("N"));

    public ShortTrainingRun()
    {
        Directory.CreateDirectory(directory);
        Options = new TrainOptions
        {
            // Enough steps for the shapes to be learned well above chance (25%), few enough for a test.
            Epochs = 5,
            TrainSize = 1920,
            LearningRate = 0.03,
            TestSize = 400,
            Seed = 1,
            OutputPath = Path.Combine(directory, "weights", "shapes.safetensors"),
        };
        var output = new StringWriter();
        Result = TrainApp.Run(Options, output);
        Output = output.ToString();
    }

    public TrainOptions Options { get; }

    public TrainResult Result { get; }

    public string Output { get; }

    public void Dispose() => Directory.Delete(directory, recursive: true);
}
