using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;

namespace ResNeStBlocks.Samples.Classify;

/// <summary>What to classify with which model.</summary>
/// <param name="Model">A zoo name such as <c>resnest50d</c>, or <c>name.tag</c> such as <c>resnet50.tv2_in1k</c>.</param>
/// <param name="WeightsPath">A timm <c>model.safetensors</c> for that model; null to download the tag's weights from the Hugging Face Hub.</param>
/// <param name="ImagePath">A PNG or JPEG image.</param>
/// <param name="Top">How many classes to list.</param>
/// <param name="ClassNamesPath">One class name per line, in class-index order.</param>
public sealed record ClassifyOptions(string Model, string? WeightsPath, string ImagePath, int Top = 5, string? ClassNamesPath = null)
{
    /// <summary>The ImageNet class names shipped beside the program.</summary>
    public static string DefaultClassNamesPath => Path.Combine(AppContext.BaseDirectory, "data", "imagenet_classes.txt");

    /// <summary>The command-line help.</summary>
    public const string Usage =
        """
        Classifies an image with a pretrained ResNeSt-family model and prints the top classes.

        Usage: Classify --model NAME --image FILE [--weights FILE] [--top K] [--classes FILE]

          --model NAME     a model name from the zoo, such as resnest50d, or NAME.TAG, such as resnet50.tv2_in1k
          --image FILE     a PNG or JPEG image (samples: data/chelsea.png, data/coffee.png)
          --weights FILE   the model's timm weights (model.safetensors); without it they are downloaded
                           once from the Hugging Face Hub into huggingface_hub's cache (shared with Python)
          --top K          how many classes to list (default 5)
          --classes FILE   class names, one per line (default: data/imagenet_classes.txt)
          --help           show this text

        Real weights come from the Hugging Face hub release timm/resnest50d.in1k (model.safetensors);
        for another model use its own release, such as timm/resnest101e.in1k.
        Downloads follow huggingface_hub's variables: HF_ENDPOINT, HF_HOME, HF_HUB_CACHE, HF_TOKEN, HF_HUB_OFFLINE.
        """;

    /// <summary>Reads the command line.</summary>
    /// <param name="args">The arguments.</param>
    /// <returns>The options, or <c>null</c> when help was asked for.</returns>
    /// <exception cref="UsageException">An option is missing, unknown or malformed.</exception>
    public static ClassifyOptions? Parse(IReadOnlyList<string> args)
    {
        string? model = null, weights = null, image = null, classes = null;
        int top = 5;
        for (int i = 0; i < args.Count; i++)
        {
            string name = args[i];
            if (name is "--help" or "-h")
                return null;
            if (i + 1 >= args.Count)
                throw new UsageException($"Option {name} needs a value.");
            string value = args[++i];
            switch (name)
            {
                case "--model": model = value; break;
                case "--weights": weights = value; break;
                case "--image": image = value; break;
                case "--classes": classes = value; break;
                case "--top":
                    if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out top) || top < 1)
                        throw new UsageException($"--top must be a positive integer, got '{value}'.");
                    break;
                default:
                    throw new UsageException($"Unknown option '{name}'.");
            }
        }
        return new ClassifyOptions(
            model ?? throw new UsageException("--model is required."),
            weights,
            image ?? throw new UsageException("--image is required."),
            top,
            classes);
    }
}
