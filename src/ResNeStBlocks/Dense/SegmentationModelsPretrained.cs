using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using ResNeStBlocks.Backbones;
using ResNeStBlocks.Hub;
using ResNeStBlocks.Preprocessing;
using ResNeStBlocks.Weights;
using ResNeStBlocks.Zoo;

namespace ResNeStBlocks.Dense;

// The pretrained half of the factory: torchvision's checkpoints for its four models, timm's ImageNet weights for the
// backbones of the others.
public static partial class SegmentationModels
{
    /// <summary>The side torchvision's segmentation weights are evaluated at (its <c>SemanticSegmentation(resize_size=520)</c>).</summary>
    public const int EvaluationSize = TorchvisionWeights.SegmentationEvaluationSize;

    /// <summary>
    /// timm's ImageNet weights for each backbone: the zoo's default tag for the ResNeSts; for torchvision's ResNets the
    /// weights torchvision itself starts its segmentation models from (<c>IMAGENET1K_V1</c>), which timm republishes as
    /// <c>tv_in1k</c> with the same keys.
    /// </summary>
    private static readonly Dictionary<string, WeightsSource> BackboneSources = new(StringComparer.Ordinal)
    {
        ["resnet50"] = WeightsSource.HuggingFace("timm/resnet50.tv_in1k"),
        ["resnet101"] = WeightsSource.HuggingFace("timm/resnet101.tv_in1k"),
        ["resnest50d"] = ModelZoo.Pretrained("resnest50d").Source!,
        ["resnest101e"] = ModelZoo.Pretrained("resnest101e").Source!,
        ["resnest200e"] = ModelZoo.Pretrained("resnest200e").Source!,
        ["resnest269e"] = ModelZoo.Pretrained("resnest269e").Source!,
    };

    /// <summary>
    /// The Hugging Face repository of timm's ImageNet weights for the backbone of <paramref name="name"/> (any name in
    /// <see cref="Names"/>, torchvision's four included), such as <c>timm/resnet50.tv_in1k</c>: where a model starts when only
    /// its backbone is to be pretrained.
    /// </summary>
    /// <param name="name">A name from <see cref="Names"/>.</param>
    /// <returns>The repository id.</returns>
    /// <exception cref="ArgumentException">The name is unknown.</exception>
    public static string BackboneWeights(string name) => BackboneSources[Find(name).Backbone].Location;

    /// <summary>
    /// Where the pretrained weights of <paramref name="name"/> come from and the evaluation preprocessing they expect:
    /// torchvision's <c>SemanticSegmentation</c> transform (shorter side resized to <see cref="EvaluationSize"/>, bilinear,
    /// ImageNet mean and std, no crop; <see cref="PretrainedConfig.CropFraction"/> 1) and 21 classes.
    /// </summary>
    /// <param name="name">A name from <see cref="Names"/>.</param>
    /// <returns>
    /// The description; its <see cref="PretrainedConfig.Source"/> is torchvision's torch.hub checkpoint for its four models
    /// (<see cref="TorchvisionWeights.Segmentation"/>, with the VOC class names) and the backbone's timm repository on the
    /// Hugging Face Hub for the others (<c>timm/resnest50d.in1k</c>; their heads are not pretrained, so no class names).
    /// Give it to the ONNX exporter to record the preprocessing.
    /// </returns>
    /// <exception cref="ArgumentException">The name is unknown.</exception>
    public static PretrainedConfig Pretrained(string name) =>
        TorchvisionCheckpoint(name) is null
            ? TorchvisionWeights.Segmentation("deeplabv3_resnet50") with { Source = BackboneSources[Find(name).Backbone], ClassNames = null }
            : TorchvisionWeights.Segmentation(name);

    /// <summary>
    /// Creates a model and loads its pretrained weights: for <c>deeplabv3_resnet50</c>, <c>deeplabv3_resnet101</c>,
    /// <c>fcn_resnet50</c> and <c>fcn_resnet101</c>, torchvision's COCO checkpoint (VOC's 20 classes and background) from
    /// torch.hub's folder (downloaded once, shared with Python); for every other name, timm's ImageNet weights for the
    /// backbone from the Hugging Face Hub (cached, shared with Python's huggingface_hub), the heads initialised.
    /// </summary>
    /// <remarks>
    /// torchvision's checkpoints hold a 21-class classifier and the auxiliary head. As timm does with a classifier of
    /// another size, everything that fits loads and the rest keeps its initialisation: with <paramref name="numClasses"/>
    /// other than 21 the heads' class-sized layers (<see cref="ISegmentationHead.ClassLayers"/>: <c>classifier.4.*</c>, <c>aux_classifier.4.*</c>) stay new; with
    /// <paramref name="auxLoss"/> false the checkpoint's auxiliary head is left out. <see cref="LoadPretrainedAsync"/>
    /// reports those keys.
    /// </remarks>
    /// <param name="name">A name from <see cref="Names"/>.</param>
    /// <param name="numClasses">Classes to predict.</param>
    /// <param name="auxLoss">Add the auxiliary head on stage 3.</param>
    /// <param name="configure">Optional changes to the backbone that keep the weights' keys and shapes (output stride, drop path, ...).</param>
    /// <param name="hub">Where and how timm's weights (the Hub) and torchvision's checkpoints (torch.hub) are fetched; null for the process environment's.</param>
    /// <param name="progress">Receives bytes done, total and rate while downloading.</param>
    /// <param name="cancellationToken">Stops the download.</param>
    /// <returns>The model with weights, in training mode, on the CPU.</returns>
    /// <exception cref="ArgumentException">The name is unknown, or an argument is invalid.</exception>
    /// <exception cref="HubException">The weights cannot be fetched; the subclass and message say why.</exception>
    /// <exception cref="StateDictMismatchException"><paramref name="configure"/> changed keys or shapes the weights have.</exception>
    /// <exception cref="PyTorchCheckpointFormatException">torchvision's checkpoint is malformed.</exception>
    public static async Task<SegmentationModel> CreatePretrainedAsync(string name, int numClasses = 21, bool auxLoss = true,
        Func<ResNetConfig, ResNetConfig>? configure = null, HubOptions? hub = null,
        IProgress<HubDownloadProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var model = Create(name, numClasses, auxLoss, configure);
        try
        {
            await LoadPretrainedAsync(model, name, hub, progress, cancellationToken).ConfigureAwait(false);
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Blocking form of <see cref="CreatePretrainedAsync"/>.</summary>
    /// <param name="name">A name from <see cref="Names"/>.</param>
    /// <param name="numClasses">Classes to predict.</param>
    /// <param name="auxLoss">Add the auxiliary head on stage 3.</param>
    /// <param name="configure">Optional changes to the backbone that keep the weights' keys and shapes.</param>
    /// <param name="hub">Where and how the weights are fetched; null for the process environment's.</param>
    /// <param name="progress">Receives bytes done, total and rate while downloading.</param>
    /// <param name="cancellationToken">Stops the download.</param>
    /// <returns>The model with weights.</returns>
    /// <exception cref="ArgumentException">The name is unknown, or an argument is invalid.</exception>
    /// <exception cref="HubException">The weights cannot be fetched.</exception>
    /// <exception cref="StateDictMismatchException"><paramref name="configure"/> changed keys or shapes the weights have.</exception>
    public static SegmentationModel CreatePretrained(string name, int numClasses = 21, bool auxLoss = true,
        Func<ResNetConfig, ResNetConfig>? configure = null, HubOptions? hub = null,
        IProgress<HubDownloadProgress>? progress = null, CancellationToken cancellationToken = default) =>
        CreatePretrainedAsync(name, numClasses, auxLoss, configure, hub, progress, cancellationToken).GetAwaiter().GetResult();

    /// <summary>
    /// Loads the pretrained weights of <paramref name="name"/> into a model built for it (see <see cref="CreatePretrainedAsync"/>
    /// for the sources and for what is left out), atomically: a failed load changes nothing.
    /// </summary>
    /// <param name="model">A model with the keys of <paramref name="name"/>, such as one from <see cref="Create(string, int, bool, Func{ResNetConfig, ResNetConfig}, bool)"/>.</param>
    /// <param name="name">A name from <see cref="Names"/>.</param>
    /// <param name="hub">Where and how the weights are fetched; null for the process environment's.</param>
    /// <param name="progress">Receives bytes done, total and rate while downloading.</param>
    /// <param name="cancellationToken">Stops the download.</param>
    /// <returns>
    /// For torchvision's models, the model's keys left out (<see cref="LoadResult.SkippedKeys"/>: a classifier of another
    /// class count, or the checkpoint's auxiliary head when the model has none); for the others, the backbone's load
    /// (keys relative to <see cref="SegmentationModel.Backbone"/>; timm's classifier <c>fc.*</c> is skipped), the heads
    /// keeping their initialisation.
    /// </returns>
    /// <exception cref="ArgumentException">The name is unknown.</exception>
    /// <exception cref="HubException">The weights cannot be fetched.</exception>
    /// <exception cref="StateDictMismatchException">The weights do not fit the model; it is unchanged.</exception>
    /// <exception cref="PyTorchCheckpointFormatException">torchvision's checkpoint is malformed; the model is unchanged.</exception>
    public static async Task<LoadResult> LoadPretrainedAsync(SegmentationModel model, string name, HubOptions? hub = null,
        IProgress<HubDownloadProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        var source = Pretrained(name).Source!;
        if (TorchvisionCheckpoint(name) is null)
            return await model.Backbone.LoadPretrainedAsync(source, hub, progress, cancellationToken).ConfigureAwait(false);
        string path = await source.FetchAsync(hub, progress, cancellationToken).ConfigureAwait(false);
        return LoadTorchvisionCheckpoint(model, path);
    }

    /// <summary>Loads a checkpoint with torchvision's keys, leaving new the keys that depend on the class count or on an auxiliary head (stated by the heads).</summary>
    internal static LoadResult LoadTorchvisionCheckpoint(SegmentationModel model, string path) =>
        ClassifierKeys.LoadSkippingUnfit(model, path, model.DependsOnClassesOrAux);
}
