using System;
using System.Collections.Generic;
using System.Linq;
using ResNeStBlocks.Backbones;
using ResNeStBlocks.Dense;
using ResNeStBlocks.Hub;
using ResNeStBlocks.Samples.Progress;
using ResNeStBlocks.Zoo;

namespace ResNeStBlocks.Samples.Segment;

/// <summary>Builds the segmentation networks the sample trains, and starts their backbones from timm's weights.</summary>
public static class SegmentModelFactory
{
    /// <summary>
    /// The small model for quick runs from scratch on small images: DeepLabV3 with a 64-channel ASPP at atrous rates
    /// 3, 6, 9 (torchvision's 12, 24, 36 fit the 60-pixel feature maps of 480-pixel crops; a 96-pixel crop at output
    /// stride 8 gives 12) on ResNeSt-14d narrowed to 16-32-64-128, output stride 8, with the auxiliary FCN head.
    /// </summary>
    public const string TinyModel = "tiny";

    /// <summary>Base size of <see cref="TinyModel"/> unless <c>--base-size</c> says otherwise.</summary>
    public const int TinyBaseSize = 112;

    /// <summary>Crop size of <see cref="TinyModel"/> unless <c>--crop-size</c> says otherwise.</summary>
    public const int TinyCropSize = 96;

    private static readonly int[] TinyAtrousRates = { 3, 6, 9 };

    /// <summary><see cref="TinyModel"/> and every name of <see cref="SegmentationModels.Names"/>.</summary>
    public static IReadOnlyList<string> Names { get; } = new[] { TinyModel }.Concat(SegmentationModels.Names).ToArray();

    /// <summary>Whether <paramref name="name"/> is one of <see cref="Names"/>.</summary>
    /// <param name="name">A model name.</param>
    /// <returns>True when <see cref="Create"/> builds it.</returns>
    public static bool IsKnown(string name) => name == TinyModel || SegmentationModels.Contains(name);

    /// <summary>Builds <paramref name="name"/> for <paramref name="classes"/> classes with the auxiliary head, initialised (the global torch seed decides the weights).</summary>
    /// <param name="name">One of <see cref="Names"/>.</param>
    /// <param name="classes">Classes to predict.</param>
    /// <param name="dropPathRate">Stochastic depth rate of the backbone.</param>
    /// <returns>The model, in training mode, on the CPU.</returns>
    /// <exception cref="ArgumentException">The name is unknown.</exception>
    public static SegmentationModel Create(string name, int classes, double dropPathRate)
    {
        if (name != TinyModel)
            return SegmentationModels.Create(name, classes, auxLoss: true, c => c with { DropPathRate = dropPathRate });
        var config = ModelZoo.Config("resnest14d") with
        {
            Channels = new[] { 16, 32, 64, 128 },
            StemWidth = 16,
            NumClasses = 0,
            OutputStride = 8,
            DropPathRate = dropPathRate,
        };
        var backbone = new ResNet(config);
        var stages = backbone.FeatureInfo;
        return new SegmentationModel(backbone, new DeepLabHead(stages[^1].Channels, classes, channels: 64, atrousRates: TinyAtrousRates), new FcnHead(stages[^2].Channels, classes));
    }

    /// <summary>
    /// The timm ImageNet release whose weights start <paramref name="name"/>'s backbone: the zoo model after the head's
    /// prefix (<c>deeplabv3_resnest50d</c> starts from <c>timm/resnest50d.in1k</c>, <c>deeplabv3_resnet50</c> from timm's
    /// <c>resnet50</c>, whose keys torchvision's ResNet-50 shares).
    /// </summary>
    /// <param name="name">A name of <see cref="SegmentationModels.Names"/>.</param>
    /// <returns>The Hugging Face repository, such as <c>timm/resnest50d.in1k</c>.</returns>
    /// <exception cref="ArgumentException">timm's zoo has no such backbone.</exception>
    public static string PretrainedBackbone(string name)
    {
        string backbone = name[(name.IndexOf('_', StringComparison.Ordinal) + 1)..];
        if (name == TinyModel || !ModelZoo.Contains(backbone))
            throw new ArgumentException(
                $"--pretrained: the backbone of '{name}' has no timm ImageNet weights in the zoo; pick a model on resnet50, resnest50d, resnest101e, resnest200e or resnest269e.",
                nameof(name));
        return ModelZoo.Pretrained(backbone).HubId;
    }

    /// <summary>
    /// Loads timm's ImageNet weights into <paramref name="model"/>'s backbone (fetched once into the Hugging Face cache,
    /// the transfer shown by <paramref name="display"/>); the heads keep their initialisation.
    /// </summary>
    /// <param name="model">A model built by <see cref="Create"/> for <paramref name="name"/>.</param>
    /// <param name="name">Its name.</param>
    /// <param name="display">Shows the download.</param>
    /// <param name="hub">Endpoint, cache, token and offline mode; null for huggingface_hub's environment variables.</param>
    /// <returns>The repository the weights came from.</returns>
    /// <exception cref="HubException">The weights cannot be fetched.</exception>
    public static string LoadPretrainedBackbone(SegmentationModel model, string name, IDownloadDisplay display, HubOptions? hub)
    {
        ArgumentNullException.ThrowIfNull(model);
        string repository = PretrainedBackbone(name);
        // The classifier (fc.*) of timm's file is left out: a segmentation backbone has none.
        model.Backbone.LoadWeights(WeightsDownload.Fetch(repository, display, hub), strict: true, skipClassifier: true);
        return repository;
    }
}
