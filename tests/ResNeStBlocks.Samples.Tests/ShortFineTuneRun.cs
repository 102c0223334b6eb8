using System;
using System.IO;
using ResNeStBlocks.Samples.FineTune;
using ResNeStBlocks.Samples.Progress;
using SkiaSharp;

namespace ResNeStBlocks.Samples.Tests;

/// <summary>
/// One short FineTune run on an ImageFolder the fixture writes (shared by the tests that inspect it): four shape classes
/// of PNGs of varied sizes, one of them greyscale and one RGBA, plus a corrupt PNG and a text file that must be skipped.
/// Each class is drawn in its own colour, so two short epochs of a tiny network learn it (the demo data's random colours
/// take a longer run).
/// </summary>
public sealed class ShortFineTuneRun : IDisposable
{
    public const int PerClass = 60;

    public ShortFineTuneRun()
    {
        Directory.CreateDirectory(Root);
        WriteImageFolder(DataDirectory, PerClass);
        Options = new FineTuneOptions
        {
            DataDirectory = DataDirectory,
            OutputDirectory = Path.Combine(Root, "out"),
            Model = FineTuneOptions.TinyModel,
            ImageSize = 32,
            Epochs = 2,
            BatchSize = 16,
            LearningRate = 3e-3,
            WarmupEpochs = 0,
            MinScale = 0.35,
            Threads = 1,
            Workers = 1,
            ExportOnnx = true,
        };
        var output = new StringWriter();
        Result = FineTuneApp.Run(Options, output, new PlainTextObserver(output));
        Output = output.ToString();
    }

    public string Root { get; } = Path.Combine(Path.GetTempPath(), "finetune-tests-" + Guid.NewGuid().ToString("N"));

    public string DataDirectory => Path.Combine(Root, "data");

    public FineTuneOptions Options { get; }

    public FineTuneResult Result { get; }

    public string Output { get; }

    /// <summary>Writes <paramref name="perClass"/> PNGs per shape class (image 0 of 'circle' greyscale, image 1 RGBA), a truncated PNG and a text file.</summary>
    public static void WriteImageFolder(string directory, int perClass)
    {
        var random = new Random(3);
        var colours = new[] { SKColors.Red, SKColors.Lime, SKColors.Blue, SKColors.Yellow };
        for (int c = 0; c < DemoData.Classes.Count; c++)
        {
            string shape = DemoData.Classes[c];
            string folder = Path.Combine(directory, shape);
            Directory.CreateDirectory(folder);
            for (int i = 0; i < perClass; i++)
            {
                var kind = (shape, i) switch { ("circle", 0) => DemoData.ImageKind.Grey, ("circle", 1) => DemoData.ImageKind.Rgba, _ => DemoData.ImageKind.Rgb };
                File.WriteAllBytes(Path.Combine(folder, $"{i:D3}.png"), DemoData.Render(shape, random.Next(32, 80), random.Next(32, 80), kind, random, colours[c]));
            }
        }
        byte[] png = File.ReadAllBytes(Path.Combine(directory, "square", "000.png"));
        File.WriteAllBytes(Path.Combine(directory, "square", "truncated.png"), png.AsSpan(0, png.Length / 2).ToArray());
        File.WriteAllText(Path.Combine(directory, "cross", "notes.txt"), "not an image");
    }

    public void Dispose() => Directory.Delete(Root, recursive: true);
}
