using System;
using ResNeStBlocks.Backbones;
using ResNeStBlocks.Preprocessing;
using ResNeStBlocks.Zoo;

namespace ResNeStBlocks.Samples.FineTune;

/// <summary>Builds the network to fine-tune and the preprocessing its weights expect.</summary>
public static class ModelFactory
{
    /// <summary>Input side of <see cref="FineTuneOptions.TinyModel"/> unless <c>--image-size</c> says otherwise.</summary>
    public const int TinyInputSize = 64;

    /// <summary>The architecture of <paramref name="name"/> with <paramref name="numClasses"/> outputs.</summary>
    /// <param name="name">A zoo model name or <see cref="FineTuneOptions.TinyModel"/>: ResNeSt-14d narrowed to channels 16-32-64-128, for quick runs from scratch.</param>
    /// <param name="numClasses">Classes of the folder.</param>
    /// <param name="dropPathRate">Stochastic depth rate.</param>
    /// <returns>The configuration.</returns>
    /// <exception cref="ArgumentException">The name is neither a zoo model nor <c>tiny</c>.</exception>
    public static ResNetConfig Config(string name, int numClasses, double dropPathRate)
    {
        var config = name == FineTuneOptions.TinyModel
            ? ModelZoo.Config("resnest14d") with { Channels = new[] { 16, 32, 64, 128 }, StemWidth = 16 }
            : ModelZoo.Contains(name)
                ? ModelZoo.Config(name)
                : throw new ArgumentException(
                    $"Unknown model '{name}'. Use '{FineTuneOptions.TinyModel}' or one of: {string.Join(", ", ModelZoo.Names)}.", nameof(name));
        return config with { NumClasses = numClasses, DropPathRate = dropPathRate };
    }

    /// <summary>The model's eval preprocessing (timm's pretrained configuration) at <paramref name="imageSize"/>, or at its own size when null.</summary>
    /// <param name="name">A zoo model name or <see cref="FineTuneOptions.TinyModel"/> (ImageNet mean and std, bilinear, crop 0.875).</param>
    /// <param name="numClasses">Classes of the folder.</param>
    /// <param name="imageSize">Network input side, or null.</param>
    /// <returns>The configuration.</returns>
    public static PretrainedConfig Preprocessing(string name, int numClasses, int? imageSize)
    {
        var pretrained = name == FineTuneOptions.TinyModel
            ? new PretrainedConfig(null, TinyInputSize, 0.875, Interpolation.Bilinear, ImagePreprocessor.ImageNetMean, ImagePreprocessor.ImageNetStd)
            : ModelZoo.Pretrained(name);
        return pretrained with { InputSize = imageSize ?? pretrained.InputSize, NumClasses = numClasses };
    }

    /// <summary>Whether <paramref name="name"/> is accepted by <see cref="Config"/>.</summary>
    /// <param name="name">The model name.</param>
    /// <returns>True for zoo models, their <c>name.tag</c> forms and <c>tiny</c>.</returns>
    public static bool IsKnown(string name) => name == FineTuneOptions.TinyModel || ModelZoo.Contains(name);
}
