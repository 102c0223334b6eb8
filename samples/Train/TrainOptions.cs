using System;
using System.Collections.Generic;
using static ResNeStBlocks.Samples.CommandLine.OptionValues;

namespace ResNeStBlocks.Samples.Train;

/// <summary>How to train.</summary>
public sealed record TrainOptions
{
    /// <summary>Passes over the training set.</summary>
    public int Epochs { get; init; } = 6;

    /// <summary>Training images.</summary>
    public int TrainSize { get; init; } = 3000;

    /// <summary>Held-out images (generated with another seed, never trained on).</summary>
    public int TestSize { get; init; } = 1000;

    /// <summary>Image side in pixels.</summary>
    public int ImageSize { get; init; } = 32;

    /// <summary>Images per optimizer step.</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>Peak learning rate of SGD.</summary>
    public double LearningRate { get; init; } = 0.03;

    /// <summary>SGD weight decay.</summary>
    public double WeightDecay { get; init; } = 5e-4;

    /// <summary>Label smoothing of the cross-entropy loss.</summary>
    public double LabelSmoothing { get; init; } = 0.1;

    /// <summary>Epochs of linear learning-rate warmup.</summary>
    public int WarmupEpochs { get; init; } = 1;

    /// <summary>Seed of the data and the initialisation.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Seed of the held-out images: far from <see cref="Seed"/>, so no held-out image is a training image.</summary>
    public int HeldOutSeed => unchecked(Seed + 1_000_003);

    /// <summary>
    /// Intra-op CPU threads while training (restored afterwards). The network is so small that one thread is
    /// fastest: splitting its tiny convolutions across threads costs more in synchronisation than it saves.
    /// </summary>
    public int Threads { get; init; } = 1;

    /// <summary>Where the trained weights go (safetensors).</summary>
    public string OutputPath { get; init; } = "resnest-shapes.safetensors";

    /// <summary>The command-line help.</summary>
    public const string Usage =
        """
        Trains a small ResNeSt from scratch on synthetic shapes (circle, square, triangle, cross) on the CPU,
        reports held-out accuracy and saves the weights as safetensors.

        Usage: Train [options]

          --epochs N           passes over the training set (default 6)
          --train-size N       training images (default 3000)
          --test-size N        held-out images (default 1000)
          --image-size N       image side in pixels (default 32)
          --batch-size N       images per step (default 64)
          --lr X               peak learning rate, SGD momentum 0.9 (default 0.03)
          --weight-decay X     (default 0.0005)
          --label-smoothing X  (default 0.1)
          --warmup-epochs N    linear warmup before the cosine decay (default 1)
          --seed N             data and initialisation seed (default 1)
          --threads N          CPU threads (default 1: fastest for this small network)
          --out FILE           weights file to write (default resnest-shapes.safetensors)
          --help               show this text
        """;

    /// <summary>Reads the command line.</summary>
    /// <param name="args">The arguments.</param>
    /// <returns>The options, or <c>null</c> when help was asked for.</returns>
    /// <exception cref="ArgumentException">An option is unknown, lacks a value or has a bad one.</exception>
    public static TrainOptions? Parse(IReadOnlyList<string> args)
    {
        var options = new TrainOptions();
        for (int i = 0; i < args.Count; i++)
        {
            string name = args[i];
            if (name is "--help" or "-h")
                return null;
            if (i + 1 >= args.Count)
                throw new ArgumentException($"Option {name} needs a value.", nameof(args));
            string value = args[++i];
            options = name switch
            {
                "--epochs" => options with { Epochs = Positive(name, value) },
                "--train-size" => options with { TrainSize = Positive(name, value) },
                "--test-size" => options with { TestSize = Positive(name, value) },
                "--image-size" => options with { ImageSize = Positive(name, value) },
                "--batch-size" => options with { BatchSize = Positive(name, value) },
                "--lr" => options with { LearningRate = Number(name, value) },
                "--weight-decay" => options with { WeightDecay = Number(name, value) },
                "--label-smoothing" => options with { LabelSmoothing = Number(name, value) },
                "--warmup-epochs" => options with { WarmupEpochs = NonNegative(name, value) },
                "--seed" => options with { Seed = NonNegative(name, value) },
                "--threads" => options with { Threads = Positive(name, value) },
                "--out" => options with { OutputPath = value },
                _ => throw new ArgumentException($"Unknown option '{name}'.", nameof(args)),
            };
        }
        options.Validate();
        return options;
    }

    /// <summary>Checks the values; throws <see cref="ArgumentException"/> naming the first bad one.</summary>
    public void Validate()
    {
        if (ImageSize < 16)
            throw new ArgumentException($"--image-size must be at least 16, got {ImageSize}.", nameof(ImageSize));
        if (BatchSize < 2 || BatchSize > TrainSize)
            throw new ArgumentException($"--batch-size must be between 2 and --train-size ({TrainSize}), got {BatchSize}.", nameof(BatchSize));
        if (!(LearningRate > 0))
            throw new ArgumentException($"--lr must be positive, got {LearningRate}.", nameof(LearningRate));
        if (!(WeightDecay >= 0))
            throw new ArgumentException($"--weight-decay must not be negative, got {WeightDecay}.", nameof(WeightDecay));
        if (!(LabelSmoothing >= 0 && LabelSmoothing < 1))
            throw new ArgumentException($"--label-smoothing must be in [0, 1), got {LabelSmoothing}.", nameof(LabelSmoothing));
        if (WarmupEpochs >= Epochs && Epochs > 1)
            throw new ArgumentException($"--warmup-epochs ({WarmupEpochs}) must be fewer than --epochs ({Epochs}).", nameof(WarmupEpochs));
        if (Threads < 1)
            throw new ArgumentException($"--threads must be at least 1, got {Threads}.", nameof(Threads));
        if (string.IsNullOrWhiteSpace(OutputPath))
            throw new ArgumentException("--out must name a file.", nameof(OutputPath));
    }
}
