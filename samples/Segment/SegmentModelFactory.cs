using System;
using System.Collections.Generic;
using System.Linq;
using ResNeStBlocks.Backbones;
using ResNeStBlocks.Dense;
using ResNeStBlocks.Zoo;

namespace ResNeStBlocks.Samples.Segment;

/// <summary>Builds the segmentation networks the sample trains (<see cref="SegmentPretrained"/> starts them from pretrained weights).</summary>
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
}
