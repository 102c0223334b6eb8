using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using static ResNeStBlocks.Samples.CommandLine.OptionValues;

namespace ResNeStBlocks.Samples.Segment;

/// <summary>What the program does.</summary>
public enum SegmentMode
{
    /// <summary>Train on a data folder.</summary>
    Train,

    /// <summary>Write a generated demo folder.</summary>
    MakeDemoData,

    /// <summary>Segment one image with a trained model and write its overlay.</summary>
    Predict,
}

/// <summary>How to train, or what to segment (every command-line option, with its default).</summary>
public sealed record SegmentOptions
{
    /// <summary>The data folder: <c>images/</c> and <c>masks/</c>, or <c>train/</c> and <c>val/</c> folders that each hold both.</summary>
    public string DataDirectory { get; init; } = "";

    /// <summary>Training: a name of <see cref="SegmentModelFactory.Names"/>. Prediction: a checkpoint (<c>.safetensors</c>) or an ONNX file.</summary>
    public string Model { get; init; } = SegmentModelFactory.TinyModel;

    /// <summary>Start from pretrained weights (<c>--pretrained</c>), from <see cref="PretrainedSourceInEffect"/>.</summary>
    public bool Pretrained { get; init; }

    /// <summary>The source named after <c>--pretrained</c>; null for the model's default (<see cref="SegmentPretrained.DefaultSource"/>).</summary>
    public PretrainedSource? PretrainedFrom { get; init; }

    /// <summary>Where <see cref="Pretrained"/> weights come from: <see cref="PretrainedFrom"/>, else torchvision's checkpoint where there is one, else timm's ImageNet backbone.</summary>
    public PretrainedSource PretrainedSourceInEffect => PretrainedFrom ?? SegmentPretrained.DefaultSource(Model);

    /// <summary>Write the best checkpoint's evaluated weights as an ONNX file at the end.</summary>
    public bool ExportOnnx { get; init; }

    /// <summary>Where <see cref="ExportOnnx"/> writes; null for <c>model.onnx</c> in <see cref="OutputDirectory"/>.</summary>
    public string? OnnxPath { get; init; }

    /// <summary>The ONNX file in effect: <see cref="OnnxPath"/> or <c>OUT/model.onnx</c>.</summary>
    public string OnnxFile => OnnxPath ?? Path.Combine(OutputDirectory, "model.onnx");

    /// <summary>A checkpoint (<c>last.safetensors</c>) to resume from.</summary>
    public string? ResumePath { get; init; }

    /// <summary>Where checkpoints, metrics, charts and overlays go.</summary>
    public string OutputDirectory { get; init; } = "segment-output";

    /// <summary>Passes over the training pairs.</summary>
    public int Epochs { get; init; } = 30;

    /// <summary>Pairs per optimizer step.</summary>
    public int BatchSize { get; init; } = 8;

    /// <summary>The shorter side the random scale refers to, and the evaluation size; null for the model's default.</summary>
    public int? BaseSize { get; init; }

    /// <summary>Side of the square training crop; null for the model's default.</summary>
    public int? CropSize { get; init; }

    /// <summary>The base size in effect: <see cref="BaseSize"/>, else 520 (torchvision), 112 for <c>tiny</c>.</summary>
    public int BaseSizeInEffect => BaseSize ?? (Model == SegmentModelFactory.TinyModel ? SegmentModelFactory.TinyBaseSize : 520);

    /// <summary>The crop size in effect: <see cref="CropSize"/>, else 480 (torchvision), 96 for <c>tiny</c>.</summary>
    public int CropSizeInEffect => CropSize ?? (Model == SegmentModelFactory.TinyModel ? SegmentModelFactory.TinyCropSize : 480);

    /// <summary>Smallest shorter side of the random resize, as a multiple of the base size (torchvision: 0.5).</summary>
    public double MinScale { get; init; } = 0.5;

    /// <summary>Largest shorter side of the random resize, as a multiple of the base size (torchvision: 2.0).</summary>
    public double MaxScale { get; init; } = 2.0;

    /// <summary><c>sgd</c> (momentum 0.9, as torchvision's reference) or <c>adamw</c>.</summary>
    public string Optimizer { get; init; } = "sgd";

    /// <summary>Peak learning rate; null takes 0.01 for SGD and 1e-3 for AdamW.</summary>
    public double? LearningRate { get; init; }

    /// <summary>The peak learning rate in effect.</summary>
    public double PeakLearningRate => LearningRate ?? (Optimizer == "sgd" ? 0.01 : 1e-3);

    /// <summary><c>poly</c> (torchvision's: (1 - t/T)^0.9 per step) or <c>cosine</c>.</summary>
    public string Schedule { get; init; } = "poly";

    /// <summary>Weight decay of the decayed group (norms and biases get none).</summary>
    public double WeightDecay { get; init; } = 1e-4;

    /// <summary>Epochs of linear warm-up.</summary>
    public int WarmupEpochs { get; init; }

    /// <summary>Weight of the auxiliary head's loss (torchvision: 0.5).</summary>
    public double AuxWeight { get; init; } = 0.5;

    /// <summary>EMA decay once warm; 0 (the default, as torchvision's reference) keeps no EMA.</summary>
    public double EmaDecay { get; init; }

    /// <summary>Stochastic depth rate of the backbone.</summary>
    public double DropPathRate { get; init; }

    /// <summary>Fraction of the pairs held out for validation when there is no <c>val</c> folder.</summary>
    public double ValFraction { get; init; } = 0.2;

    /// <summary>Seed of the split, the data order, the augmentation and the initialisation.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Threads that decode and augment pairs ahead of the training step.</summary>
    public int Workers { get; init; } = Math.Max(1, Environment.ProcessorCount / 2);

    /// <summary>Intra-op CPU threads of torch (restored afterwards); null takes the processors the workers leave free.</summary>
    public int? Threads { get; init; }

    /// <summary>The torch threads in effect: <see cref="Threads"/>, or the processors not taken by the workers (at least 1).</summary>
    public int TorchThreads => Threads ?? Math.Max(1, Environment.ProcessorCount - Workers);

    /// <summary><c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>.</summary>
    public string Device { get; init; } = "cpu";

    /// <summary><c>auto</c> (bfloat16 mixed precision on CUDA, float32 on the CPU), <c>fp32</c>, <c>bf16</c> or <c>fp16</c>.</summary>
    public string Precision { get; init; } = "auto";

    /// <summary>Validation images drawn with their predicted and true masks at the end.</summary>
    public int Overlays { get; init; } = 6;

    /// <summary>Write a generated demo folder here and exit.</summary>
    public string? DemoDataDirectory { get; init; }

    /// <summary>Prediction: the image to segment.</summary>
    public string? ImagePath { get; init; }

    /// <summary>Prediction: the overlay PNG to write; null for <c>IMAGE-NAME.overlay.png</c> in the current folder.</summary>
    public string? OverlayPath { get; init; }

    /// <summary>The overlay file in effect.</summary>
    public string OverlayFile => OverlayPath ?? Path.GetFileNameWithoutExtension(ImagePath ?? "image") + ".overlay.png";

    /// <summary>What the options ask for.</summary>
    public SegmentMode Mode => DemoDataDirectory is not null ? SegmentMode.MakeDemoData : ImagePath is not null ? SegmentMode.Predict : SegmentMode.Train;

    /// <summary>The command-line help.</summary>
    public const string Usage =
        """
        Trains a segmentation model (DeepLabV3, FCN or DeepLabV3+ on a ResNeSt-family backbone) on your own images and
        masks and writes checkpoints, metrics.csv, charts and overlays; or segments one image with a trained model.

        Usage: Segment --data DIR [options]                       train
               Segment --model FILE --image PATH [--output FILE]  segment an image (checkpoint or .onnx), write the overlay
               Segment --make-demo-data DIR                       write a demo folder of generated scenes, then exit

        Data
          --data DIR            DIR/images/* and DIR/masks/*.png with the same base names (or DIR/train/{images,masks} and
                                DIR/val/{images,masks}); masks are palette PNGs (as Pascal VOC's) or 8-bit greyscale PNGs
                                whose values are the classes, 255 = ignore; DIR/classes.txt names the classes, one per line
          --val-fraction X      share of the pairs held out when there is no val folder (default 0.2)
          --base-size N         shorter side of the random scale range (0.5-2x) and of evaluation (default 520; 112 for tiny)
          --crop-size N         side of the square training crop (default 480; 96 for tiny)
          --scale MIN,MAX       range of the random resize's shorter side, in base sizes (default 0.5,2 as torchvision)
          --workers N           decoding and augmentation threads (default: half the processors)

        Model
          --model NAME          'tiny' (a small DeepLabV3 for quick runs from scratch, the default) or a segmentation model:
                                deeplabv3_resnest50d, deeplabv3_resnet50, fcn_resnest101e, deeplabv3plus_resnest50d, ...
          --pretrained [SOURCE] start from pretrained weights, downloaded once (HF_HUB_OFFLINE=1: only what is cached):
                                torchvision  torchvision's COCO segmentation weights, backbone and heads (deeplabv3_resnet50,
                                             deeplabv3_resnet101, fcn_resnet50, fcn_resnet101); the final class projections
                                             start initialised unless there are 21 classes; into torch.hub's folder
                                             (TORCH_HOME, RESNESTBLOCKS_TORCH_MODELS_URL apply)
                                imagenet     timm's ImageNet weights for the backbone, heads initialised; into
                                             huggingface_hub's cache (HF_ENDPOINT, HF_HUB_CACHE, HF_TOKEN apply)
                                (default: torchvision where torchvision publishes weights for the model, else imagenet)
          --drop-path X         stochastic depth rate of the backbone (default 0)

        Training
          --epochs N            (default 30)
          --batch-size N        (default 8)
          --opt sgd|adamw       SGD with momentum 0.9 (torchvision's), or AdamW (default sgd)
          --lr X                peak learning rate (default 0.01 for sgd, 0.001 for adamw)
          --schedule poly|cosine  per-step decay: poly (1 - t/T)^0.9 as torchvision's, or cosine (default poly)
          --warmup-epochs N     linear warm-up before the decay (default 0)
          --weight-decay X      on weights only; norms and biases get none (default 0.0001)
          --aux-weight X        weight of the auxiliary head's loss (default 0.5)
          --ema-decay X         keep an EMA of the weights (timm ModelEmaV3 with warm-up), such as 0.999; 0 for none (default 0)
          --precision P         auto (bf16 mixed precision on CUDA, fp32 on the CPU), fp32, bf16 or fp16 (default auto)
          --seed N              split, order, augmentation and initialisation (default 1)
          --threads N           torch CPU threads (default: the processors the workers leave free)
          --device cpu|cuda     (default cpu)
          --resume FILE         continue from a checkpoint (OUT/last.safetensors)
          --out DIR             checkpoints, metrics.csv, training.png, iou.png, overlays/ (default segment-output)
          --overlays N          validation images drawn with their predicted and true masks (default 6)
          --export-onnx [FILE]  at the end, write the best checkpoint as ONNX (default FILE: OUT/model.onnx)
          --help                show this text
        """;

    /// <summary>Reads the command line.</summary>
    /// <param name="args">The arguments.</param>
    /// <returns>The options, or <c>null</c> when help was asked for.</returns>
    /// <exception cref="ArgumentException">An option is unknown, lacks a value or has a bad one.</exception>
    public static SegmentOptions? Parse(IReadOnlyList<string> args)
    {
        var options = ResNeStBlocks.Samples.CommandLine.OptionValues.Parse(args, new SegmentOptions(),
            new Dictionary<string, Func<SegmentOptions, SegmentOptions>>(),
            new Dictionary<string, Func<SegmentOptions, string?, SegmentOptions>>
            {
                // A following option (or nothing) means the model's default source, resolved once --model is known.
                ["--pretrained"] = (o, source) => o with { Pretrained = true, PretrainedFrom = source is null ? null : SegmentPretrained.ParseSource(source) },
                // A following option (or nothing) means the default OUT/model.onnx.
                ["--export-onnx"] = (o, file) => o with { ExportOnnx = true, OnnxPath = file },
            },
            (options, name, value) => name switch
            {
                "--data" => options with { DataDirectory = value },
                "--make-demo-data" => options with { DemoDataDirectory = value },
                "--model" => options with { Model = value },
                "--image" => options with { ImagePath = value },
                "--output" => options with { OverlayPath = value },
                "--resume" => options with { ResumePath = value },
                "--out" => options with { OutputDirectory = value },
                "--epochs" => options with { Epochs = Positive(name, value) },
                "--batch-size" => options with { BatchSize = Positive(name, value) },
                "--base-size" => options with { BaseSize = Positive(name, value) },
                "--crop-size" => options with { CropSize = Positive(name, value) },
                "--scale" => Scale(options, value),
                "--opt" => options with { Optimizer = value },
                "--lr" => options with { LearningRate = Number(name, value) },
                "--schedule" => options with { Schedule = value },
                "--weight-decay" => options with { WeightDecay = Number(name, value) },
                "--warmup-epochs" => options with { WarmupEpochs = NonNegative(name, value) },
                "--aux-weight" => options with { AuxWeight = Number(name, value) },
                "--ema-decay" => options with { EmaDecay = Number(name, value) },
                "--drop-path" => options with { DropPathRate = Number(name, value) },
                "--precision" => options with { Precision = value },
                "--val-fraction" => options with { ValFraction = Number(name, value) },
                "--seed" => options with { Seed = NonNegative(name, value) },
                "--workers" => options with { Workers = Positive(name, value) },
                "--threads" => options with { Threads = Positive(name, value) },
                "--device" => options with { Device = value },
                "--overlays" => options with { Overlays = NonNegative(name, value) },
                _ => throw new ArgumentException($"Unknown option '{name}'.", nameof(args)),
            });
        options?.Validate();
        return options;
    }

    /// <summary>Checks the values; throws <see cref="ArgumentException"/> naming the first bad one.</summary>
    /// <exception cref="ArgumentException">A value is out of range or options contradict each other.</exception>
    public void Validate()
    {
        if (Mode == SegmentMode.MakeDemoData)
            return;
        if (Device is not ("cpu" or "cuda") && !Device.StartsWith("cuda:", StringComparison.Ordinal))
            throw new ArgumentException($"--device must be cpu, cuda or cuda:N, got '{Device}'.", nameof(Device));
        if (Mode == SegmentMode.Predict)
        {
            if (!File.Exists(Model))
                throw new ArgumentException(
                    $"--model must name a trained model file with --image (a checkpoint such as segment-output/best.safetensors, or an .onnx file); {Model} does not exist.", nameof(Model));
            if (!File.Exists(ImagePath))
                throw new ArgumentException($"Image not found: {ImagePath}.", nameof(ImagePath));
            return;
        }
        if (string.IsNullOrWhiteSpace(DataDirectory))
            throw new ArgumentException(
                "--data DIR is required: a folder with images/ and masks/ (or --make-demo-data DIR to create one, or --model FILE --image PATH to segment an image).", nameof(DataDirectory));
        if (!SegmentModelFactory.IsKnown(Model))
            throw new ArgumentException(
                $"Unknown model '{Model}'. Use '{SegmentModelFactory.TinyModel}' or one of: {string.Join(", ", SegmentModelFactory.Names)}.", nameof(Model));
        if (Pretrained && Model == SegmentModelFactory.TinyModel)
            throw new ArgumentException(
                $"--pretrained: '{SegmentModelFactory.TinyModel}' has no pretrained weights; pick a model such as deeplabv3_resnest50d, or train '{SegmentModelFactory.TinyModel}' from scratch without --pretrained.",
                nameof(Pretrained));
        if (Pretrained)
            SegmentPretrained.Check(Model, PretrainedSourceInEffect);
        if (Optimizer is not ("sgd" or "adamw"))
            throw new ArgumentException($"--opt must be sgd or adamw, got '{Optimizer}'.", nameof(Optimizer));
        if (Schedule is not ("poly" or "cosine"))
            throw new ArgumentException($"--schedule must be poly or cosine, got '{Schedule}'.", nameof(Schedule));
        if (Precision is not ("auto" or "fp32" or "bf16" or "fp16"))
            throw new ArgumentException($"--precision must be auto, fp32, bf16 or fp16, got '{Precision}'.", nameof(Precision));
        if (BatchSize < 2)
            throw new ArgumentException($"--batch-size must be at least 2 (BatchNorm and ASPP's pooling branch need two images), got {BatchSize}.", nameof(BatchSize));
        if (CropSizeInEffect < 32)
            throw new ArgumentException($"--crop-size must be at least 32, got {CropSizeInEffect}.", nameof(CropSize));
        if (BaseSizeInEffect < 16)
            throw new ArgumentException($"--base-size must be at least 16, got {BaseSizeInEffect}.", nameof(BaseSize));
        if (!(MinScale > 0 && MinScale <= MaxScale))
            throw new ArgumentException($"--scale must be MIN,MAX with 0 < MIN <= MAX, got {F(MinScale)},{F(MaxScale)}.", nameof(MinScale));
        if (!(PeakLearningRate > 0))
            throw new ArgumentException($"--lr must be positive, got {F(PeakLearningRate)}.", nameof(LearningRate));
        if (!(WeightDecay >= 0))
            throw new ArgumentException($"--weight-decay must not be negative, got {F(WeightDecay)}.", nameof(WeightDecay));
        if (WarmupEpochs >= Epochs && WarmupEpochs > 0)
            throw new ArgumentException($"--warmup-epochs ({WarmupEpochs}) must be fewer than --epochs ({Epochs}).", nameof(WarmupEpochs));
        if (!(AuxWeight >= 0))
            throw new ArgumentException($"--aux-weight must not be negative, got {F(AuxWeight)}.", nameof(AuxWeight));
        if (!(EmaDecay >= 0 && EmaDecay < 1))
            throw new ArgumentException($"--ema-decay must be in [0, 1), got {F(EmaDecay)}.", nameof(EmaDecay));
        if (!(DropPathRate >= 0 && DropPathRate < 1))
            throw new ArgumentException($"--drop-path must be in [0, 1), got {F(DropPathRate)}.", nameof(DropPathRate));
        if (!(ValFraction > 0 && ValFraction < 1))
            throw new ArgumentException($"--val-fraction must be in (0, 1), got {F(ValFraction)}.", nameof(ValFraction));
        if (string.IsNullOrWhiteSpace(OutputDirectory))
            throw new ArgumentException("--out must name a folder.", nameof(OutputDirectory));
    }

    private static SegmentOptions Scale(SegmentOptions options, string value)
    {
        var parts = value.Split(',');
        if (parts.Length != 2)
            throw new ArgumentException($"--scale must be MIN,MAX (such as 0.5,2), got '{value}'.", nameof(value));
        return options with { MinScale = Number("--scale", parts[0]), MaxScale = Number("--scale", parts[1]) };
    }

    private static string F(double value) => value.ToString(CultureInfo.InvariantCulture);
}
