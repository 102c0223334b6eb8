using System;
using System.IO;
using System.Linq;
using FluentAssertions;
using ResNeStBlocks.Samples.Detect;
using ResNeStBlocks.Samples.Training;
using ResNeStBlocks.Training;
using ResNeStBlocks.Vision;
using Xunit;
using static TorchSharp.torch;

namespace ResNeStBlocks.Samples.Tests;

/// <summary>Detect's parts: exact resume, layout detection and splits, and the refusals of its options.</summary>
[Collection(ResNeStBlocks.Testing.IsolatedCollection.Name)]
public sealed class DetectPartsTests : IDisposable
{
    private readonly string root = Path.Combine(Path.GetTempPath(), "detect-parts-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(root))
            Directory.Delete(root, recursive: true);
    }

    private DetectOptions Tiny(string data, string output, int epochs) => new()
    {
        DataDirectory = data,
        OutputDirectory = output,
        Model = DetectModelFactory.TinyModel,
        Epochs = epochs,
        BatchSize = 2,
        Optimizer = "sgd",
        LearningRate = 0.01,
        Milestones = new[] { 2 },
        EmaDecay = 0.9,
        Threads = 1,
    };

    private static DetectResult Train(DetectOptions options)
    {
        int threads = get_num_threads();
        set_num_threads(1);
        try
        {
            return DetectApp.Train(options, new StringWriter());
        }
        finally
        {
            set_num_threads(threads);
        }
    }

    [Fact]
    public void Resuming_after_one_epoch_gives_the_weights_of_two_uninterrupted_epochs_bit_for_bit()
    {
        string data = Path.Combine(root, "data");
        DemoShapes.Write(data, trainImages: 6, valImages: 2, seed: 11);

        Train(Tiny(data, Path.Combine(root, "straight"), 2));
        Train(Tiny(data, Path.Combine(root, "resumed"), 1));
        Train(Tiny(data, Path.Combine(root, "resumed"), 2) with { ResumePath = CheckpointFiles.Last(Path.Combine(root, "resumed")) });

        using var straight = DetectApp.LoadCheckpoint(CheckpointFiles.Last(Path.Combine(root, "straight")), out _);
        using var resumed = DetectApp.LoadCheckpoint(CheckpointFiles.Last(Path.Combine(root, "resumed")), out _);
        var a = straight.state_dict();
        var b = resumed.state_dict();
        a.Keys.Should().Equal(b.Keys);
        foreach (var key in a.Keys)
            a[key].equal(b[key]).all().item<bool>().Should().BeTrue(key);
        TrainingCheckpoint.ReadPosition(CheckpointFiles.Last(Path.Combine(root, "resumed"))).Should()
            .Be(TrainingCheckpoint.ReadPosition(CheckpointFiles.Last(Path.Combine(root, "straight"))));
        File.ReadAllLines(Path.Combine(root, "resumed", "metrics.csv")).Select(l => string.Join(",", l.Split(',').Where((_, i) => i != 1)))
            .Should().Equal(File.ReadAllLines(Path.Combine(root, "straight", "metrics.csv")).Select(l => string.Join(",", l.Split(',').Where((_, i) => i != 1))),
                "every column but the seconds repeats");
    }

    [Fact]
    public void A_single_coco_file_is_split_with_the_seed()
    {
        string data = Path.Combine(root, "single");
        DemoShapes.Write(data, trainImages: 10, valImages: 1, seed: 2);
        File.Delete(Path.Combine(data, "annotations", "instances_val.json"));
        File.Move(Path.Combine(data, "annotations", "instances_train.json"), Path.Combine(data, "annotations", "instances_all.json"));
        Directory.Move(Path.Combine(data, "train"), Path.Combine(data, "images"));

        var split = DetectionData.Open(data, 0.2, 1);

        split.Layout.Should().Be("COCO");
        split.GivenSplit.Should().BeFalse();
        (split.Train.Count, split.Val.Count).Should().Be((8, 2));
        split.ValGroundTruth.Images.Select(i => i.Id).Should().Equal(split.Val.Select(v => v.ImageId));
        split.Train.Select(t => t.ImagePath).Intersect(split.Val.Select(v => v.ImagePath)).Should().BeEmpty();
        DetectionData.Open(data, 0.2, 1).Val.Select(v => v.ImagePath).Should().Equal(split.Val.Select(v => v.ImagePath), "the same seed draws the same split");
    }

    [Fact]
    public void A_voc_folder_is_detected_and_its_difficult_objects_are_crowds_for_evaluation()
    {
        string voc = Path.Combine(root, "voc");
        Directory.CreateDirectory(Path.Combine(voc, "Annotations"));
        Directory.CreateDirectory(Path.Combine(voc, "JPEGImages"));
        Directory.CreateDirectory(Path.Combine(voc, "ImageSets", "Main"));
        foreach (var id in new[] { "a", "b", "c" })
        {
            File.WriteAllText(Path.Combine(voc, "Annotations", id + ".xml"),
                $"<annotation><filename>{id}.jpg</filename><size><width>50</width><height>40</height><depth>3</depth></size>" +
                "<object><name>widget</name><difficult>0</difficult><bndbox><xmin>2</xmin><ymin>3</ymin><xmax>20</xmax><ymax>30</ymax></bndbox></object>" +
                "<object><name>gadget</name><difficult>1</difficult><bndbox><xmin>5</xmin><ymin>5</ymin><xmax>9</xmax><ymax>9</ymax></bndbox></object></annotation>");
            File.WriteAllBytes(Path.Combine(voc, "JPEGImages", id + ".jpg"), new byte[] { 0xFF, 0xD8 });
        }
        File.WriteAllLines(Path.Combine(voc, "ImageSets", "Main", "train.txt"), new[] { "a", "b" });
        File.WriteAllLines(Path.Combine(voc, "ImageSets", "Main", "val.txt"), new[] { "c" });

        var data = DetectionData.Open(voc, 0.2, 1);

        data.Layout.Should().Be("VOC");
        data.GivenSplit.Should().BeTrue();
        data.Classes.Names.Should().Equal(ClassTable.BackgroundName, "gadget", "widget");
        (data.Train.Count, data.Val.Count).Should().Be((2, 1));
        data.ValGroundTruth.Annotations.Select(a => (a.CategoryId, a.IsCrowd, a.Box.X, a.Box.Width)).Should().Equal((2L, false, 1.0, 19.0), (1L, true, 4.0, 5.0));
    }

    [Theory]
    [InlineData(new[] { "--data", "d", "--model", "yolo" }, "error: --model: unknown model 'yolo'; expected one of ")]
    [InlineData(new[] { "--predict", "x.png" }, "error: --predict needs --checkpoint FILE (a best.safetensors or last.safetensors of a run).")]
    [InlineData(new[] { "--epochs", "3" }, "error: Give --data DIR to train, --make-demo-data DIR to write the demo, or --predict IMAGE --checkpoint FILE.")]
    [InlineData(new[] { "--data", "d", "--model", "fasterrcnn_tiny_fpn", "--pretrained", "coco" }, "error: --pretrained: fasterrcnn_tiny_fpn has no published weights; it trains from scratch.")]
    [InlineData(new[] { "--data", "/nonexistent-detect-data" }, "error: --data: the folder '/nonexistent-detect-data' does not exist; make one with --make-demo-data /nonexistent-detect-data.")]
    public void Bad_options_are_refused_with_one_line(string[] args, string message)
    {
        var error = new StringWriter();

        DetectApp.Execute(args, new StringWriter(), error).Should().Be(2);

        error.ToString().Should().StartWith(message);
    }
}
