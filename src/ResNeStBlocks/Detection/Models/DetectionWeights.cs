using System;
using System.Collections.Generic;
using System.Linq;
using ResNeStBlocks.Hub;
using ResNeStBlocks.Weights;

namespace ResNeStBlocks.Detection.Models;

/// <summary>
/// The published weights a detector starts from: torchvision's COCO checkpoint of the whole model (torch.hub), or
/// timm's ImageNet weights of its backbone alone (the Hugging Face Hub), loaded under <see cref="BackbonePrefix"/>.
/// </summary>
/// <remarks>
/// torchvision's detection weights need no preprocessing of their own: the model's transform (<see cref="DetectionOptions"/>:
/// shorter side 800, longer at most 1333, ImageNet mean and std) is the evaluation setting, and images go in as RGB in [0, 1].
/// </remarks>
/// <param name="Model">The detector's name, such as <c>fasterrcnn_resnet50_fpn</c>.</param>
/// <param name="Source">Where the file is and how it is checked.</param>
/// <param name="ClassLayers">
/// Key prefixes of the layers sized by the class count (Faster R-CNN: <c>roi_heads.box_predictor.</c>): with another
/// class count they keep their initialisation, as timm does with a classifier of another size.
/// </param>
public sealed record DetectionWeights(string Model, WeightsSource Source, IReadOnlyList<string> ClassLayers)
{
    /// <summary>
    /// Where the file's keys go in the detector: null when the file holds the whole detector with torchvision's keys;
    /// <c>backbone.body.</c> when it holds a timm backbone (whose classifier <c>fc.*</c> is left out).
    /// </summary>
    public string? BackbonePrefix { get; init; }

    /// <summary>The classes the weights predict, background included (91 for COCO), or null for a backbone alone.</summary>
    public int? NumClasses => BackbonePrefix is null ? TorchvisionWeights.CocoNumClasses : null;

    /// <summary>The class names in label order (<see cref="TorchvisionWeights.CocoCategories"/>), or null for a backbone alone.</summary>
    public IReadOnlyList<string>? Categories => BackbonePrefix is null ? TorchvisionWeights.CocoCategories : null;

    /// <summary>Whether a key belongs to a layer sized by the class count.</summary>
    /// <param name="key">A state-dict key of the detector.</param>
    /// <returns>True when the key starts with one of <see cref="ClassLayers"/>.</returns>
    public bool IsClassLayer(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return ClassLayers.Any(prefix => key.StartsWith(prefix, StringComparison.Ordinal));
    }

    /// <summary>The key prefix of the body a timm backbone's weights load into.</summary>
    internal const string BodyPrefix = "backbone.body.";

    /// <summary>timm's ImageNet weights of the zoo model <paramref name="zooName"/> (its default tag) for the body of <paramref name="model"/>.</summary>
    internal static DetectionWeights TimmBody(string model, string zooName, IReadOnlyList<string> classLayers) =>
        new(model, ResNeStBlocks.Zoo.ModelZoo.Pretrained(zooName).Source!, classLayers) { BackbonePrefix = BodyPrefix };

    /// <summary>torchvision's COCO checkpoint <paramref name="fileName"/> under torch.hub's default address.</summary>
    internal static DetectionWeights Torchvision(string model, string fileName, IReadOnlyList<string> classLayers) =>
        new(model, WeightsSource.TorchHub($"{HubEnvironment.DefaultTorchModelsUrl}/{fileName}"), classLayers);
}
