using System;
using System.Collections.Generic;
using System.IO;
using static ResNeStBlocks.Samples.CommandLine.OptionValues;

namespace ResNeStBlocks.Samples.Detect;

/// <summary>Every command-line option of the sample, with its default.</summary>
public sealed record DetectOptions
{
    /// <summary>The data folder (COCO or VOC layout).</summary>
    public string DataDirectory { get; init; } = "";

    /// <summary>Write a generated demo folder here instead of training.</summary>
    public string? MakeDemoData { get; init; }

    /// <summary>A name of <see cref="DetectModelFactory.Names"/>.</summary>
    public string Model { get; init; } = "fasterrcnn_resnet50_fpn";

    /// <summary><c>coco</c> (torchvision's COCO weights, class layers new), <c>imagenet</c> (timm's backbone) or null (from scratch).</summary>
    public string? Pretrained { get; init; }

    /// <summary>MinSize of the model's transform; null for the model's default.</summary>
    public int? MinSize { get; init; }

    /// <summary>MaxSize of the model's transform; null for the model's default.</summary>
    public int? MaxSize { get; init; }

    /// <summary>Where checkpoints, metrics, charts and overlays go.</summary>
    public string OutputDirectory { get; init; } = "detect-output";

    /// <summary>Passes over the training images.</summary>
    public int Epochs { get; init; } = 26;

    /// <summary>Images per optimizer step.</summary>
    public int BatchSize { get; init; } = 2;

    /// <summary><c>sgd</c> (torchvision's reference: momentum 0.9) or <c>adamw</c>.</summary>
    public string Optimizer { get; init; } = "sgd";

    /// <summary>Peak learning rate; null for 0.02 * batch / 16 (SGD, torchvision's reference) or 1e-4 (AdamW).</summary>
    public double? LearningRate { get; init; }

    /// <summary>The rate in effect.</summary>
    public double PeakLearningRate => LearningRate ?? (Optimizer == "sgd" ? 0.02 * BatchSize / 16 : 1e-4);

    /// <summary>Weight decay (torchvision's reference: 1e-4; norms and biases get none).</summary>
    public double WeightDecay { get; init; } = 1e-4;

    /// <summary>Epochs at whose start the rate is divided by 10; null for 16/26 and 22/26 of the run (torchvision's 16, 22 of 26).</summary>
    public IReadOnlyList<int>? Milestones { get; init; }

    /// <summary>The milestones in effect.</summary>
    public IReadOnlyList<int> MilestonesInEffect => Milestones ?? new[] { (int)Math.Round(Epochs * 16 / 26.0), (int)Math.Round(Epochs * 22 / 26.0) };

    /// <summary>EMA decay; 0 keeps no average.</summary>
    public double EmaDecay { get; init; }

    /// <summary>Horizontal flips in training (torchvision's reference: 0.5).</summary>
    public double FlipProbability { get; init; } = 0.5;

    /// <summary>Share of the images held out for validation when the folder gives no split.</summary>
    public double ValFraction { get; init; } = 0.2;

    /// <summary>Seed of the split, the order, the flips and the initialisation.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Intra-op torch threads; null for the processors.</summary>
    public int? Threads { get; init; }

    /// <summary>A checkpoint (<c>last.safetensors</c>) to resume from.</summary>
    public string? ResumePath { get; init; }

    /// <summary>Export the best checkpoint as ONNX at the end.</summary>
    public bool ExportOnnx { get; init; }

    /// <summary>Where the ONNX file goes; null for <c>OUT/model.onnx</c>.</summary>
    public string? OnnxPath { get; init; }

    /// <summary>The ONNX file in effect.</summary>
    public string OnnxFile => OnnxPath ?? Path.Combine(OutputDirectory, "model.onnx");

    /// <summary>Detect objects on this image instead of training.</summary>
    public string? PredictImage { get; init; }

    /// <summary>The checkpoint <see cref="PredictImage"/> uses.</summary>
    public string? Checkpoint { get; init; }

    /// <summary>Detections scoring below this are not drawn or printed.</summary>
    public double ScoreThreshold { get; init; } = 0.5;

    /// <summary>Images of the demo's training split.</summary>
    public int DemoTrainImages { get; init; } = 200;

    /// <summary>Images of the demo's validation split.</summary>
    public int DemoValImages { get; init; } = 50;

    /// <summary>The usage text.</summary>
    public static string Usage => $"""
        Detect: train a detector on a COCO or Pascal VOC folder, evaluate it as pycocotools does, draw its boxes, export it.

          dotnet run -c Release --project samples/Detect -- --make-demo-data demo
          dotnet run -c Release --project samples/Detect -- --data demo --model {DetectModelFactory.TinyModel} --epochs 6 --batch-size 4 --optimizer adamw --lr 0.001
          dotnet run -c Release --project samples/Detect -- --predict IMAGE --checkpoint detect-output/best.safetensors

        Options (default in brackets):
          --data DIR             COCO layout (annotations/instances_*.json or *.json, images beside them or in a folder named
                                 after the split) or VOC layout (Annotations, JPEGImages, ImageSets/Main); split from
                                 *train*/*val* files (VOC: train.txt/val.txt) or drawn with --seed
          --make-demo-data DIR   write generated shapes (squares, circles, triangles) as COCO JSON with boxes and masks
          --model NAME           [fasterrcnn_resnet50_fpn] one of: {string.Join(", ", DetectModelFactory.Names)}.
                                 {DetectModelFactory.TinyModel}: the demo's small Faster R-CNN (one bottleneck per stage,
                                 BatchNorm, 64-channel FPN, anchors 16-256, 128-pixel images) built with
                                 DetectionModels.CreateFasterRcnn, trained from scratch
          --pretrained coco|imagenet   torchvision's COCO weights (class layers new) or timm's ImageNet backbone
          --min-size N / --max-size N  the model's resize [800 / 1333; tiny: 128 / 128]
          --epochs N             [26]
          --batch-size N         [2]
          --optimizer sgd|adamw  [sgd] SGD momentum 0.9 as torchvision's reference, or AdamW
          --lr X                 [0.02 * batch / 16 for SGD, 1e-4 for AdamW] with a linear warm-up over the first epoch
          --milestones A,B       [16/26 and 22/26 of the epochs] the rate is divided by 10 at these epochs
          --weight-decay X       [1e-4]
          --ema DECAY            [0: none] evaluate and export an exponential moving average of the weights
          --flip P               [0.5] horizontal flips in training
          --val-fraction F       [0.2] held out when the folder gives no split
          --seed N               [1]
          --threads N            [processors]
          --output DIR           [detect-output] checkpoints, metrics.csv, charts, overlays
          --resume FILE          continue from a last.safetensors (bit-exact)
          --export-onnx [FILE]   export the best checkpoint with its post-processing [OUT/model.onnx]
          --predict IMAGE --checkpoint FILE   detect on one image; writes OUT/prediction.png
          --score-threshold X    [0.5] detections drawn and printed
          --demo-train N / --demo-val N       [200 / 50] images of --make-demo-data
        """;

    /// <summary>Reads the command line; null when help was asked for.</summary>
    /// <param name="args">The arguments.</param>
    /// <returns>The options, or null.</returns>
    /// <exception cref="ArgumentException">An option is unknown or has a bad value.</exception>
    public static DetectOptions? Parse(IReadOnlyList<string> args)
    {
        var options = CommandLine.OptionValues.Parse(args, new DetectOptions(), new Dictionary<string, Func<DetectOptions, DetectOptions>>(),
            new Dictionary<string, Func<DetectOptions, string?, DetectOptions>> { ["--export-onnx"] = (o, v) => o with { ExportOnnx = true, OnnxPath = v } },
            (o, name, value) => name switch
            {
                "--data" => o with { DataDirectory = value },
                "--make-demo-data" => o with { MakeDemoData = value },
                "--model" => o with { Model = value },
                "--pretrained" => o with { Pretrained = value is "coco" or "imagenet" ? value : throw new ArgumentException($"--pretrained must be coco or imagenet, got '{value}'.") },
                "--min-size" => o with { MinSize = Positive(name, value) },
                "--max-size" => o with { MaxSize = Positive(name, value) },
                "--epochs" => o with { Epochs = Positive(name, value) },
                "--batch-size" => o with { BatchSize = Positive(name, value) },
                "--optimizer" => o with { Optimizer = value is "sgd" or "adamw" ? value : throw new ArgumentException($"--optimizer must be sgd or adamw, got '{value}'.") },
                "--lr" => o with { LearningRate = Number(name, value) },
                "--milestones" => o with { Milestones = Array.ConvertAll(value.Split(','), v => NonNegative(name, v.Trim())) },
                "--weight-decay" => o with { WeightDecay = Number(name, value) },
                "--ema" => o with { EmaDecay = Number(name, value) is var d and >= 0 and < 1 ? d : throw new ArgumentException($"--ema must be a decay in [0, 1), got '{value}'.") },
                "--flip" => o with { FlipProbability = Number(name, value) },
                "--val-fraction" => o with { ValFraction = Number(name, value) is var f and > 0 and < 1 ? f : throw new ArgumentException($"--val-fraction must be between 0 and 1, got '{value}'.") },
                "--seed" => o with { Seed = NonNegative(name, value) },
                "--threads" => o with { Threads = Positive(name, value) },
                "--output" => o with { OutputDirectory = value },
                "--resume" => o with { ResumePath = value },
                "--predict" => o with { PredictImage = value },
                "--checkpoint" => o with { Checkpoint = value },
                "--score-threshold" => o with { ScoreThreshold = Number(name, value) },
                "--demo-train" => o with { DemoTrainImages = Positive(name, value) },
                "--demo-val" => o with { DemoValImages = Positive(name, value) },
                _ => throw new ArgumentException($"Unknown option {name}."),
            });
        if (options is null)
            return null;
        if (options.MakeDemoData is null && options.PredictImage is null && options.DataDirectory.Length == 0)
            throw new ArgumentException("Give --data DIR to train, --make-demo-data DIR to write the demo, or --predict IMAGE --checkpoint FILE.");
        if (options.PredictImage is not null && options.Checkpoint is null)
            throw new ArgumentException("--predict needs --checkpoint FILE (a best.safetensors or last.safetensors of a run).");
        if (!System.Linq.Enumerable.Contains(DetectModelFactory.Names, options.Model))
            throw new ArgumentException($"--model: unknown model '{options.Model}'; expected one of {string.Join(", ", DetectModelFactory.Names)}.");
        if (options.Pretrained is not null && options.Model == DetectModelFactory.TinyModel)
            throw new ArgumentException($"--pretrained: {DetectModelFactory.TinyModel} has no published weights; it trains from scratch.");
        return options;
    }
}
