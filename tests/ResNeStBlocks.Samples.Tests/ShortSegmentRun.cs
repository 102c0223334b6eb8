using System;
using System.IO;
using ResNeStBlocks.Samples.Progress;
using ResNeStBlocks.Samples.Segment;
using SkiaSharp;

namespace ResNeStBlocks.Samples.Tests;

/// <summary>
/// One short Segment run on a folder of generated scenes (shared by the tests that inspect it): 96 scenes of 48 to 64
/// pixels, each shape class in its own colour so that two short epochs of the tiny model learn it, with an EMA (so the
/// best checkpoint's evaluated weights are the EMA's) and the ONNX export.
/// </summary>
public sealed class ShortSegmentRun : IDisposable
{
    /// <summary>The colours of circle, cross, square and triangle.</summary>
    public static readonly SKColor[] ShapeColours = { SKColors.Red, SKColors.Lime, SKColors.Blue, SKColors.Yellow };

    public ShortSegmentRun()
    {
        Directory.CreateDirectory(Root);
        WriteScenes(DataDirectory);
        Options = OptionsFor(DataDirectory, Path.Combine(Root, "out"));
        var output = new StringWriter();
        Result = SegmentApp.Run(Options, output, new PlainTextObserver(output));
        Output = output.ToString();
    }

    public string Root { get; } = Path.Combine(Path.GetTempPath(), "segment-tests-" + Guid.NewGuid().ToString("N"));

    public string DataDirectory => Path.Combine(Root, "data");

    public SegmentOptions Options { get; }

    public SegmentResult Result { get; }

    public string Output { get; }

    /// <summary>The scenes of the run: 96 of 48 to 64 pixels, shapes in <see cref="ShapeColours"/>.</summary>
    public static void WriteScenes(string directory) =>
        DemoScenes.Write(directory, count: 96, seed: 5, minSide: 48, maxSide: 64, shapeColours: ShapeColours);

    /// <summary>The run's options: the tiny model at 48-pixel crops, two epochs of 19 steps, one thread (so runs repeat bit for bit).</summary>
    public static SegmentOptions OptionsFor(string data, string output) => new()
    {
        DataDirectory = data,
        OutputDirectory = output,
        Model = SegmentModelFactory.TinyModel,
        BaseSize = 56,
        CropSize = 48,
        Epochs = 2,
        BatchSize = 4,
        Optimizer = "adamw",
        LearningRate = 3e-3,
        Schedule = "cosine",
        EmaDecay = 0.6,
        MinScale = 0.75,
        MaxScale = 1.25,
        Overlays = 2,
        Threads = 1,
        Workers = 1,
        ExportOnnx = true,
    };

    public void Dispose() => Directory.Delete(Root, recursive: true);
}
