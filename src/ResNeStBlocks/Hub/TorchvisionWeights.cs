using System;
using System.Collections.Generic;
using System.Linq;
using ResNeStBlocks.Preprocessing;
using ResNeStBlocks.Weights;
using ResNeStBlocks.Zoo;

namespace ResNeStBlocks.Hub;

/// <summary>
/// torchvision's published segmentation weights (COCO, trained on the 20 Pascal VOC classes plus background: 21
/// classes, with the auxiliary head): their torch.hub file names, as torchvision 0.14 names them, and their full
/// descriptions (<see cref="Segmentation"/>). The hex digits before <c>.pth</c> start the file's SHA-256 and are checked.
/// </summary>
public static class TorchvisionWeights
{
    /// <summary>DeepLabV3 on ResNet-50 (<c>DeepLabV3_ResNet50_Weights.COCO_WITH_VOC_LABELS_V1</c>).</summary>
    public const string DeepLabV3ResNet50 = "deeplabv3_resnet50_coco-cd0a2569.pth";

    /// <summary>DeepLabV3 on ResNet-101 (<c>DeepLabV3_ResNet101_Weights.COCO_WITH_VOC_LABELS_V1</c>).</summary>
    public const string DeepLabV3ResNet101 = "deeplabv3_resnet101_coco-586e9e4e.pth";

    /// <summary>FCN on ResNet-50 (<c>FCN_ResNet50_Weights.COCO_WITH_VOC_LABELS_V1</c>).</summary>
    public const string FcnResNet50 = "fcn_resnet50_coco-1167a1af.pth";

    /// <summary>FCN on ResNet-101 (<c>FCN_ResNet101_Weights.COCO_WITH_VOC_LABELS_V1</c>).</summary>
    public const string FcnResNet101 = "fcn_resnet101_coco-7ecb50ca.pth";

    /// <summary>The number of classes these weights predict (background and the 20 VOC classes).</summary>
    public const int NumClasses = 21;

    /// <summary>The side the weights are evaluated at (torchvision's <c>SemanticSegmentation(resize_size=520)</c>).</summary>
    public const int SegmentationEvaluationSize = 520;

    /// <summary>The classes these weights predict, in index order, as torchvision's weights' <c>meta["categories"]</c> names them.</summary>
    public static IReadOnlyList<string> VocCategories { get; } = new[]
    {
        "__background__", "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow",
        "diningtable", "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa", "train", "tvmonitor",
    };

    private static readonly Dictionary<string, string> ByModel = new(StringComparer.Ordinal)
    {
        ["deeplabv3_resnet50"] = DeepLabV3ResNet50,
        ["deeplabv3_resnet101"] = DeepLabV3ResNet101,
        ["fcn_resnet50"] = FcnResNet50,
        ["fcn_resnet101"] = FcnResNet101,
    };

    /// <summary>The models that have weights, by torchvision's names.</summary>
    public static IReadOnlyCollection<string> Models => ByModel.Keys;

    /// <summary>The checkpoint file of a torchvision segmentation model.</summary>
    /// <param name="model">torchvision's model name, such as <c>deeplabv3_resnet50</c>.</param>
    /// <returns>The file name, such as <c>deeplabv3_resnet50_coco-cd0a2569.pth</c>.</returns>
    /// <exception cref="ArgumentException">torchvision publishes no such weights.</exception>
    public static string FileName(string model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return ByModel.TryGetValue(model, out var file)
            ? file
            : throw new ArgumentException($"torchvision publishes no segmentation weights for '{model}'; known: {string.Join(", ", ByModel.Keys.Order(StringComparer.Ordinal))}.", nameof(model));
    }

    /// <summary>
    /// The description of a model's weights: the torch.hub URL under <see cref="HubEnvironment.DefaultTorchModelsUrl"/>,
    /// torchvision's <c>SemanticSegmentation</c> evaluation transform (shorter side resized to <see cref="SegmentationEvaluationSize"/>,
    /// bilinear, no crop, ImageNet mean and std) and the 21 <see cref="VocCategories"/>.
    /// </summary>
    /// <param name="model">torchvision's model name, such as <c>deeplabv3_resnet50</c>.</param>
    /// <returns>The description.</returns>
    /// <exception cref="ArgumentException">torchvision publishes no such weights.</exception>
    public static PretrainedConfig Segmentation(string model) =>
        new(WeightsSource.TorchHub($"{HubEnvironment.DefaultTorchModelsUrl}/{FileName(model)}"), SegmentationEvaluationSize, 1.0, Interpolation.Bilinear,
            ImagePreprocessor.ImageNetMean, ImagePreprocessor.ImageNetStd, NumClasses)
        {
            ClassNames = VocCategories,
        };
}
