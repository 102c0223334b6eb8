using System;
using System.Collections.Generic;
using System.Linq;

namespace ResNeStBlocks.Hub;

/// <summary>
/// The torch.hub file names of torchvision's segmentation weights (COCO, trained on the 20 Pascal VOC classes plus
/// background: 21 classes, with the auxiliary head), as torchvision 0.14 names them; fetch one with
/// <see cref="TorchHubClient"/>. The hex digits before <c>.pth</c> start the file's SHA-256 and are checked.
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
}
