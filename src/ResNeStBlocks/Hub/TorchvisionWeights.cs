using System;
using System.Collections.Generic;
using System.Linq;
using ResNeStBlocks.Preprocessing;
using ResNeStBlocks.Weights;
using ResNeStBlocks.Zoo;

namespace ResNeStBlocks.Hub;

/// <summary>
/// torchvision's published segmentation weights (COCO, trained on the 20 Pascal VOC classes plus background: 21
/// classes, with the auxiliary head) and COCO detection weights (91 classes): their torch.hub file names, as torchvision
/// 0.14 names them, and the segmentation weights' full descriptions (<see cref="Segmentation"/>; the detection weights'
/// are <c>DetectionModels.Pretrained</c>). The hex digits before <c>.pth</c> start the file's SHA-256 and are checked.
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

    /// <summary>Faster R-CNN, ResNet-50 FPN (<c>FasterRCNN_ResNet50_FPN_Weights.COCO_V1</c>, box AP 37.0).</summary>
    public const string FasterRcnnResNet50Fpn = "fasterrcnn_resnet50_fpn_coco-258fb6c6.pth";

    /// <summary>Faster R-CNN v2, ResNet-50 FPN (<c>FasterRCNN_ResNet50_FPN_V2_Weights.COCO_V1</c>, box AP 46.7).</summary>
    public const string FasterRcnnResNet50FpnV2 = "fasterrcnn_resnet50_fpn_v2_coco-dd69338a.pth";

    /// <summary>RetinaNet, ResNet-50 FPN (<c>RetinaNet_ResNet50_FPN_Weights.COCO_V1</c>, box AP 36.4).</summary>
    public const string RetinaNetResNet50Fpn = "retinanet_resnet50_fpn_coco-eeacb38b.pth";

    /// <summary>RetinaNet v2, ResNet-50 FPN (<c>RetinaNet_ResNet50_FPN_V2_Weights.COCO_V1</c>, box AP 41.5).</summary>
    public const string RetinaNetResNet50FpnV2 = "retinanet_resnet50_fpn_v2_coco-5905b1c5.pth";

    /// <summary>FCOS, ResNet-50 FPN (<c>FCOS_ResNet50_FPN_Weights.COCO_V1</c>, box AP 39.2).</summary>
    public const string FcosResNet50Fpn = "fcos_resnet50_fpn_coco-99b0c9b7.pth";

    /// <summary>Mask R-CNN, ResNet-50 FPN (<c>MaskRCNN_ResNet50_FPN_Weights.COCO_V1</c>, box AP 37.9, mask AP 34.6).</summary>
    public const string MaskRcnnResNet50Fpn = "maskrcnn_resnet50_fpn_coco-bf2d0c1e.pth";

    /// <summary>Mask R-CNN v2, ResNet-50 FPN (<c>MaskRCNN_ResNet50_FPN_V2_Weights.COCO_V1</c>, box AP 47.4, mask AP 41.8).</summary>
    public const string MaskRcnnResNet50FpnV2 = "maskrcnn_resnet50_fpn_v2_coco-73cbd019.pth";

    /// <summary>The number of classes the COCO detection weights predict: background and 90 category ids, 10 of them unused ("N/A").</summary>
    public const int CocoNumClasses = 91;

    /// <summary>
    /// The classes the COCO detection weights predict, in label order, exactly as torchvision 0.14's <c>_COCO_CATEGORIES</c>
    /// (<c>meta["categories"]</c>): label 0 is <c>__background__</c>, and the ids COCO never used are <c>N/A</c>.
    /// </summary>
    public static IReadOnlyList<string> CocoCategories { get; } = new[]
    {
        "__background__", "person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck", "boat",
        "traffic light", "fire hydrant", "N/A", "stop sign", "parking meter", "bench", "bird", "cat", "dog", "horse",
        "sheep", "cow", "elephant", "bear", "zebra", "giraffe", "N/A", "backpack", "umbrella", "N/A", "N/A", "handbag",
        "tie", "suitcase", "frisbee", "skis", "snowboard", "sports ball", "kite", "baseball bat", "baseball glove",
        "skateboard", "surfboard", "tennis racket", "bottle", "N/A", "wine glass", "cup", "fork", "knife", "spoon",
        "bowl", "banana", "apple", "sandwich", "orange", "broccoli", "carrot", "hot dog", "pizza", "donut", "cake",
        "chair", "couch", "potted plant", "bed", "N/A", "dining table", "N/A", "N/A", "toilet", "N/A", "tv", "laptop",
        "mouse", "remote", "keyboard", "cell phone", "microwave", "oven", "toaster", "sink", "refrigerator", "N/A",
        "book", "clock", "vase", "scissors", "teddy bear", "hair drier", "toothbrush",
    };

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
