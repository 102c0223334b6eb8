using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using static ResNeStBlocks.Samples.CommandLine.OptionValues;

namespace ResNeStBlocks.Samples.FineTune;

/// <summary>How to fine-tune (every command-line option, with its default).</summary>
public sealed record FineTuneOptions
{
    /// <summary>The model name for the small network the sample can train from scratch.</summary>
    public const string TinyModel = "tiny";

    /// <summary>The ImageFolder: one sub-folder per class, or <c>train/</c> and <c>val/</c> sub-folders that each hold one per class.</summary>
    public string DataDirectory { get; init; } = "";

    /// <summary>A zoo model name (see <c>ModelZoo.Names</c>) or <see cref="TinyModel"/>.</summary>
    public string Model { get; init; } = "resnest14d";

    /// <summary>timm weights (<c>model.safetensors</c>) to start from; the classifier is replaced. Null trains from scratch.</summary>
    public string? WeightsPath { get; init; }

    /// <summary>Start from timm's weights for <see cref="Model"/>, fetched from the Hugging Face Hub (the classifier is replaced).</summary>
    public bool Pretrained { get; init; }

    /// <summary>Write the best checkpoint's evaluated weights as an ONNX file at the end.</summary>
    public bool ExportOnnx { get; init; }

    /// <summary>Where <see cref="ExportOnnx"/> writes; null for <c>model.onnx</c> in <see cref="OutputDirectory"/>.</summary>
    public string? OnnxPath { get; init; }

    /// <summary>The ONNX file in effect: <see cref="OnnxPath"/> or <c>OUT/model.onnx</c>.</summary>
    public string OnnxFile => OnnxPath ?? Path.Combine(OutputDirectory, "model.onnx");

    /// <summary>A checkpoint (<c>last.safetensors</c>) to resume from.</summary>
    public string? ResumePath { get; init; }

    /// <summary>Where checkpoints, metrics and charts go.</summary>
    public string OutputDirectory { get; init; } = "finetune-output";

    /// <summary>Passes over the training images.</summary>
    public int Epochs { get; init; } = 10;

    /// <summary>Images per optimizer step.</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>Network input side; null takes the model's pretrained input size (64 for <see cref="TinyModel"/>).</summary>
    public int? ImageSize { get; init; }

    /// <summary><c>adamw</c> or <c>sgd</c> (momentum 0.9, Nesterov).</summary>
    public string Optimizer { get; init; } = "adamw";

    /// <summary>Peak learning rate; null takes 1e-3 for AdamW and 0.01 for SGD.</summary>
    public double? LearningRate { get; init; }

    /// <summary>Weight decay of the decayed group (norms and biases get none).</summary>
    public double WeightDecay { get; init; } = 0.05;

    /// <summary>Epochs of linear warm-up.</summary>
    public int WarmupEpochs { get; init; } = 1;

    /// <summary>Label smoothing of the cross-entropy loss.</summary>
    public double LabelSmoothing { get; init; } = 0.1;

    /// <summary>EMA decay once warm; 0 turns the EMA off.</summary>
    public double EmaDecay { get; init; } = 0.9998;

    /// <summary>Stochastic depth rate of the model.</summary>
    public double DropPathRate { get; init; } = 0.05;

    /// <summary>Colour jitter strength (brightness, contrast, saturation factors in [1 - x, 1 + x]); 0 for none.</summary>
    public double ColorJitter { get; init; }

    /// <summary>Smallest area fraction of RandomResizedCrop (timm <c>--scale</c>, default 0.08).</summary>
    public double MinScale { get; init; } = 0.08;

    /// <summary>Largest area fraction of RandomResizedCrop (default 1).</summary>
    public double MaxScale { get; init; } = 1.0;

    /// <summary>Fraction of each class held out for validation when there is no <c>val</c> folder.</summary>
    public double ValFraction { get; init; } = 0.2;

    /// <summary>Seed of the split, the data order, the augmentation and the initialisation.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Threads that decode and augment images ahead of the training step.</summary>
    public int Workers { get; init; } = Math.Max(1, Environment.ProcessorCount / 2);

    /// <summary>
    /// Intra-op CPU threads of torch while training (restored afterwards); null takes the processors the workers leave
    /// free. Torch's threads and the workers must not overlap: a torch thread that shares its core with a decoding worker
    /// waits for it at every parallel region, which slows training far more than the one thread it adds.
    /// </summary>
    public int? Threads { get; init; }

    /// <summary>The torch threads in effect: <see cref="Threads"/>, or the processors not taken by the workers (at least 1).</summary>
    public int TorchThreads => Threads ?? Math.Max(1, Environment.ProcessorCount - Workers);

    /// <summary><c>cpu</c> or <c>cuda</c>.</summary>
    public string Device { get; init; } = "cpu";

    /// <summary>Write a demo ImageFolder of generated shapes here and exit (no training).</summary>
    public string? DemoDataDirectory { get; init; }

    /// <summary>The command-line help.</summary>
    public const string Usage =
        """
        Fine-tunes a ResNeSt-family model on your own labelled images (ImageFolder layout) and writes
        checkpoints, metrics.csv, a training chart and a confusion matrix.

        Usage: FineTune --data DIR [options]
               FineTune --make-demo-data DIR      write a small ImageFolder of generated shapes, then exit

        Data
          --data DIR            one sub-folder per class (DIR/cat/*.jpg, DIR/dog/*.png, ...), or DIR/train/<class>
                                and DIR/val/<class>; PNG, JPEG, BMP, GIF, TGA; grey and RGBA images are converted to RGB
          --val-fraction X      share of each class held out when there is no val folder (default 0.2)
          --image-size N        network input side (default: the model's pretrained size; 64 for tiny)
          --workers N           decoding and augmentation threads (default: half the processors)
          --scale MIN,MAX       area range of the random resized crop (default 0.08,1 as timm; raise MIN when the
                                object is small in the picture)
          --color-jitter X      brightness/contrast/saturation jitter, 0 for none (default 0)

        Model
          --model NAME          a zoo model (resnest14d, resnest50d, ...) or 'tiny', a small network for quick runs
                                from scratch (default resnest14d)
          --weights FILE        timm weights to start from, model.safetensors from timm/<model>.<tag> on the
                                Hugging Face hub; the classifier is replaced for the folder's classes
          --pretrained          start from timm's weights for the model, downloaded once from the Hugging Face hub
                                into huggingface_hub's cache (HF_ENDPOINT, HF_HUB_CACHE, HF_TOKEN, HF_HUB_OFFLINE
                                apply); the classifier is replaced. Not with --weights, nor with 'tiny'
          --drop-path X         stochastic depth rate (default 0.05)

        Training
          --epochs N            (default 10)
          --batch-size N        (default 32)
          --opt adamw|sgd       AdamW, or SGD with Nesterov momentum 0.9 (default adamw)
          --lr X                peak learning rate (default 0.001 for adamw, 0.01 for sgd)
          --weight-decay X      on weights only; norms and biases get none (default 0.05)
          --warmup-epochs N     linear warm-up before the cosine decay (default 1)
          --label-smoothing X   (default 0.1)
          --ema-decay X         EMA of the weights (timm ModelEmaV3 with warm-up); 0 turns it off (default 0.9998)
          --seed N              split, order, augmentation and initialisation (default 1)
          --threads N           torch CPU threads (default: the processors the workers leave free)
          --device cpu|cuda     (default cpu)
          --resume FILE         continue from a checkpoint (OUT/last.safetensors)
          --out DIR             checkpoints, metrics.csv, training.png, confusion.png (default finetune-output)
          --export-onnx [FILE]  at the end, write the best checkpoint as ONNX (default FILE: OUT/model.onnx)
          --help                show this text
        """;

    /// <summary>Reads the command line.</summary>
    /// <param name="args">The arguments.</param>
    /// <returns>The options, or <c>null</c> when help was asked for.</returns>
    /// <exception cref="ArgumentException">An option is unknown, lacks a value or has a bad one.</exception>
    public static FineTuneOptions? Parse(IReadOnlyList<string> args)
    {
        var options = ResNeStBlocks.Samples.CommandLine.OptionValues.Parse(args, new FineTuneOptions(),
            new Dictionary<string, Func<FineTuneOptions, FineTuneOptions>>
            {
                ["--pretrained"] = o => o with { Pretrained = true },
            },
            new Dictionary<string, Func<FineTuneOptions, string?, FineTuneOptions>>
            {
                // A following option (or nothing) means the default OUT/model.onnx.
                ["--export-onnx"] = (o, file) => o with { ExportOnnx = true, OnnxPath = file },
            },
            (options, name, value) => name switch
            {
                "--data" => options with { DataDirectory = value },
                "--make-demo-data" => options with { DemoDataDirectory = value },
                "--model" => options with { Model = value },
                "--weights" => options with { WeightsPath = value },
                "--resume" => options with { ResumePath = value },
                "--out" => options with { OutputDirectory = value },
                "--epochs" => options with { Epochs = Positive(name, value) },
                "--batch-size" => options with { BatchSize = Positive(name, value) },
                "--image-size" => options with { ImageSize = Positive(name, value) },
                "--opt" => options with { Optimizer = value },
                "--lr" => options with { LearningRate = Number(name, value) },
                "--weight-decay" => options with { WeightDecay = Number(name, value) },
                "--warmup-epochs" => options with { WarmupEpochs = NonNegative(name, value) },
                "--label-smoothing" => options with { LabelSmoothing = Number(name, value) },
                "--ema-decay" => options with { EmaDecay = Number(name, value) },
                "--drop-path" => options with { DropPathRate = Number(name, value) },
                "--color-jitter" => options with { ColorJitter = Number(name, value) },
                "--scale" => Scale(options, value),
                "--val-fraction" => options with { ValFraction = Number(name, value) },
                "--seed" => options with { Seed = NonNegative(name, value) },
                "--workers" => options with { Workers = Positive(name, value) },
                "--threads" => options with { Threads = Positive(name, value) },
                "--device" => options with { Device = value },
                _ => throw new ArgumentException($"Unknown option '{name}'.", nameof(args)),
            });
        options?.Validate();
        return options;
    }

    /// <summary>The peak learning rate in effect.</summary>
    public double PeakLearningRate => LearningRate ?? (Optimizer == "sgd" ? 0.01 : 1e-3);

    /// <summary>Checks the values; throws <see cref="ArgumentException"/> naming the first bad one.</summary>
    /// <exception cref="ArgumentException">A value is out of range.</exception>
    public void Validate()
    {
        if (DemoDataDirectory is not null)
            return;
        if (string.IsNullOrWhiteSpace(DataDirectory))
            throw new ArgumentException("--data DIR is required: a folder with one sub-folder of images per class (or --make-demo-data DIR to create one).", nameof(DataDirectory));
        if (string.IsNullOrWhiteSpace(Model))
            throw new ArgumentException("--model must name a zoo model or 'tiny'.", nameof(Model));
        if (Pretrained && WeightsPath is not null)
            throw new ArgumentException(
                "--pretrained and --weights both choose the starting weights; pass one: --pretrained downloads timm's, --weights FILE reads a file.",
                nameof(Pretrained));
        if (Pretrained && Model == TinyModel)
            throw new ArgumentException(
                $"--pretrained: '{TinyModel}' has no pretrained weights; pick a zoo model such as resnest14d, or train '{TinyModel}' from scratch without --pretrained.",
                nameof(Pretrained));
        if (Optimizer is not ("adamw" or "sgd"))
            throw new ArgumentException($"--opt must be adamw or sgd, got '{Optimizer}'.", nameof(Optimizer));
        if (Device is not ("cpu" or "cuda"))
            throw new ArgumentException($"--device must be cpu or cuda, got '{Device}'.", nameof(Device));
        if (BatchSize < 2)
            throw new ArgumentException($"--batch-size must be at least 2 (BatchNorm needs two images), got {BatchSize}.", nameof(BatchSize));
        if (ImageSize is < 16)
            throw new ArgumentException($"--image-size must be at least 16, got {ImageSize}.", nameof(ImageSize));
        if (!(PeakLearningRate > 0))
            throw new ArgumentException($"--lr must be positive, got {PeakLearningRate.ToString(CultureInfo.InvariantCulture)}.", nameof(LearningRate));
        if (!(WeightDecay >= 0))
            throw new ArgumentException($"--weight-decay must not be negative, got {WeightDecay.ToString(CultureInfo.InvariantCulture)}.", nameof(WeightDecay));
        if (WarmupEpochs >= Epochs && WarmupEpochs > 0)
            throw new ArgumentException($"--warmup-epochs ({WarmupEpochs}) must be fewer than --epochs ({Epochs}).", nameof(WarmupEpochs));
        if (!(LabelSmoothing >= 0 && LabelSmoothing < 1))
            throw new ArgumentException($"--label-smoothing must be in [0, 1), got {LabelSmoothing.ToString(CultureInfo.InvariantCulture)}.", nameof(LabelSmoothing));
        if (!(EmaDecay >= 0 && EmaDecay < 1))
            throw new ArgumentException($"--ema-decay must be in [0, 1), got {EmaDecay.ToString(CultureInfo.InvariantCulture)}.", nameof(EmaDecay));
        if (!(DropPathRate >= 0 && DropPathRate < 1))
            throw new ArgumentException($"--drop-path must be in [0, 1), got {DropPathRate.ToString(CultureInfo.InvariantCulture)}.", nameof(DropPathRate));
        if (!(ColorJitter >= 0 && ColorJitter <= 1))
            throw new ArgumentException($"--color-jitter must be in [0, 1], got {ColorJitter.ToString(CultureInfo.InvariantCulture)}.", nameof(ColorJitter));
        if (!(MinScale > 0 && MinScale <= MaxScale && MaxScale <= 1))
            throw new ArgumentException(
                $"--scale must be MIN,MAX with 0 < MIN <= MAX <= 1, got {MinScale.ToString(CultureInfo.InvariantCulture)},{MaxScale.ToString(CultureInfo.InvariantCulture)}.", nameof(MinScale));
        if (!(ValFraction > 0 && ValFraction < 1))
            throw new ArgumentException($"--val-fraction must be in (0, 1), got {ValFraction.ToString(CultureInfo.InvariantCulture)}.", nameof(ValFraction));
        if (string.IsNullOrWhiteSpace(OutputDirectory))
            throw new ArgumentException("--out must name a folder.", nameof(OutputDirectory));
    }

    private static FineTuneOptions Scale(FineTuneOptions options, string value)
    {
        var parts = value.Split(',');
        if (parts.Length != 2)
            throw new ArgumentException($"--scale must be MIN,MAX (such as 0.08,1), got '{value}'.", nameof(value));
        return options with { MinScale = Number("--scale", parts[0]), MaxScale = Number("--scale", parts[1]) };
    }
}
