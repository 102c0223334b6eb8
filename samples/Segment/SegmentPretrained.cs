using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using ResNeStBlocks.Dense;
using ResNeStBlocks.Hub;
using ResNeStBlocks.Samples.Progress;
using ResNeStBlocks.Weights;

namespace ResNeStBlocks.Samples.Segment;

/// <summary>
/// <c>--pretrained [imagenet|torchvision]</c>: which source a model can start from, fetching its file with a progress
/// display, and loading it (timm's ImageNet weights into the backbone, or torchvision's whole COCO checkpoint).
/// </summary>
public static class SegmentPretrained
{
    /// <summary>The models torchvision publishes segmentation weights for (in <see cref="SegmentationModels.Names"/>' order).</summary>
    public static IReadOnlyList<string> TorchvisionModels { get; } =
        SegmentationModels.Names.Where(name => SegmentationModels.TorchvisionCheckpoint(name) is not null).ToArray();

    /// <summary>Reads the value after <c>--pretrained</c>.</summary>
    /// <param name="value"><c>imagenet</c> or <c>torchvision</c>.</param>
    /// <returns>The source.</returns>
    /// <exception cref="ArgumentException">Any other value.</exception>
    public static PretrainedSource ParseSource(string value) => value switch
    {
        "imagenet" => PretrainedSource.ImageNet,
        "torchvision" => PretrainedSource.Torchvision,
        _ => throw new ArgumentException(
            $"--pretrained takes imagenet or torchvision (or nothing: torchvision's weights where torchvision publishes them, else imagenet), got '{value}'.",
            nameof(value)),
    };

    /// <summary>
    /// The source of a bare <c>--pretrained</c>: torchvision's checkpoint where there is one (it starts the heads too,
    /// not only the backbone), else timm's ImageNet backbone.
    /// </summary>
    /// <param name="model">A model name (the tiny model and unknown names give <see cref="PretrainedSource.ImageNet"/>; <see cref="Check"/> refuses them).</param>
    /// <returns>The source.</returns>
    public static PretrainedSource DefaultSource(string model) =>
        TorchvisionModels.Contains(model) ? PretrainedSource.Torchvision : PretrainedSource.ImageNet;

    /// <summary>Throws unless <paramref name="model"/> has weights from <paramref name="source"/>; makes no request and no native call.</summary>
    /// <param name="model">A name of <see cref="SegmentationModels.Names"/>.</param>
    /// <param name="source">The source asked for.</param>
    /// <exception cref="ArgumentException">The model has no such weights; the message names the models that do and the fix.</exception>
    public static void Check(string model, PretrainedSource source)
    {
        if (source == PretrainedSource.ImageNet)
            PretrainedBackbone(model);
        else if (!TorchvisionModels.Contains(model))
            throw new ArgumentException(
                $"--pretrained torchvision: torchvision publishes no segmentation weights for '{model}' (it does for {string.Join(", ", TorchvisionModels)}); " +
                "use --pretrained imagenet to start its backbone from timm's ImageNet weights.",
                nameof(model));
    }

    /// <summary>
    /// The timm ImageNet release whose weights start <paramref name="name"/>'s backbone, as the library names it
    /// (<see cref="SegmentationModels.BackboneWeights"/>: <c>deeplabv3_resnest50d</c> starts from <c>timm/resnest50d.in1k</c>,
    /// <c>deeplabv3_resnet50</c> from <c>timm/resnet50.tv_in1k</c>, torchvision's own ImageNet weights).
    /// </summary>
    /// <param name="name">A name of <see cref="SegmentationModels.Names"/>.</param>
    /// <returns>The Hugging Face repository, such as <c>timm/resnest50d.in1k</c>.</returns>
    /// <exception cref="ArgumentException">The name is the tiny model or unknown.</exception>
    public static string PretrainedBackbone(string name)
    {
        if (!SegmentationModels.Contains(name))
            throw new ArgumentException(
                $"--pretrained: '{name}' has no backbone with timm ImageNet weights; pick one of {string.Join(", ", SegmentationModels.Names)}.",
                nameof(name));
        return SegmentationModels.BackboneWeights(name);
    }

    /// <summary>Puts the file of <paramref name="source"/> for <paramref name="model"/> in its cache, showing the transfer if there is one.</summary>
    /// <param name="model">A name of <see cref="SegmentationModels.Names"/>.</param>
    /// <param name="source">Where from.</param>
    /// <param name="display">Shows the download.</param>
    /// <param name="hub">Options for timm's weights and torchvision's checkpoints; null for the process environment's (HF_HOME, TORCH_HOME, ...).</param>
    /// <returns>The file's path.</returns>
    /// <exception cref="ArgumentException">The model has no weights from that source.</exception>
    /// <exception cref="HubException">The file cannot be fetched.</exception>
    public static string Fetch(string model, PretrainedSource source, IDownloadDisplay display, HubOptions? hub)
    {
        Check(model, source);
        return source == PretrainedSource.Torchvision
            ? WeightsDownload.FetchCheckpoint(SegmentationModels.TorchvisionCheckpoint(model)!, display, hub)
            : WeightsDownload.Fetch(PretrainedBackbone(model), display, hub);
    }

    /// <summary>Loads the weights <see cref="Fetch"/> returned for <paramref name="source"/> into <paramref name="model"/>.</summary>
    /// <param name="model">A model built by <see cref="SegmentModelFactory.Create"/> for <paramref name="name"/>.</param>
    /// <param name="name">Its name.</param>
    /// <param name="classes">The class count it was built for.</param>
    /// <param name="source">Where the weights come from.</param>
    /// <param name="path">The file <see cref="Fetch"/> returned for this model and source.</param>
    /// <param name="hub">Options for torchvision's checkpoints; null for the process environment's (TORCH_HOME).</param>
    /// <returns>The line that says what was loaded and what starts initialised.</returns>
    /// <exception cref="StateDictMismatchException">The weights do not fit; the model is unchanged.</exception>
    public static string Load(SegmentationModel model, string name, int classes, PretrainedSource source, string path, HubOptions? hub)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (source == PretrainedSource.ImageNet)
        {
            // The classifier (fc.*) of timm's file is left out: a segmentation backbone has none.
            model.Backbone.LoadWeights(path, strict: true, skipClassifier: true);
            return Invariant($"Weights: backbone from timm's {PretrainedBackbone(name)}; heads initialised for {classes} classes.");
        }
        // The library's loader owns the rule for torchvision's class projections (left out when their shapes differ from
        // the checkpoint's 21 classes); it reads the same file, which Fetch put in torch.hub's folder, without a request.
        var result = SegmentationModels.LoadPretrainedAsync(model, name, hub).GetAwaiter().GetResult();
        var fresh = result.SkippedKeys.Select(key => key[..key.LastIndexOf('.')]).Distinct(StringComparer.Ordinal).ToList();
        string checkpoint = Invariant($"Weights: torchvision's {Path.GetFileName(path)} (COCO, VOC's {TorchvisionWeights.NumClasses} classes)");
        return fresh.Count == 0
            ? checkpoint + ", every tensor loaded."
            : Invariant($"{checkpoint}; {Listing(fresh)} initialised for {classes} classes.");
    }

    /// <summary>"a", "a and b", "a, b and c".</summary>
    private static string Listing(IReadOnlyList<string> items) =>
        items.Count == 1 ? items[0] : string.Join(", ", items.Take(items.Count - 1)) + " and " + items[^1];

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
