using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using ResNeStBlocks.Hub;
using ResNeStBlocks.Weights;

namespace ResNeStBlocks.Detection.Models;

// The pretrained half of the factory: torchvision's COCO checkpoints through torch.hub's folder, timm's ImageNet weights
// for the bodies of the library's backbones through the Hugging Face Hub.
public static partial class DetectionModels
{
    private static readonly string[] RcnnClassLayers = ["roi_heads.box_predictor."];
    private static readonly string[] OneStageClassLayers = ["head.classification_head.cls_logits."];
    private static readonly string[] MaskRcnnClassLayers = ["roi_heads.box_predictor.", "roi_heads.mask_predictor.mask_fcn_logits."];

    /// <summary>Every published checkpoint, one line each: the model, its file, its class-sized layers.</summary>
    private static readonly DetectionWeights[] Published =
    [
        DetectionWeights.Torchvision("fasterrcnn_resnet50_fpn", TorchvisionWeights.FasterRcnnResNet50Fpn, RcnnClassLayers),
        DetectionWeights.Torchvision("fasterrcnn_resnet50_fpn_v2", TorchvisionWeights.FasterRcnnResNet50FpnV2, RcnnClassLayers),
        DetectionWeights.Torchvision("retinanet_resnet50_fpn", TorchvisionWeights.RetinaNetResNet50Fpn, OneStageClassLayers),
        DetectionWeights.Torchvision("retinanet_resnet50_fpn_v2", TorchvisionWeights.RetinaNetResNet50FpnV2, OneStageClassLayers),
        DetectionWeights.Torchvision("fcos_resnet50_fpn", TorchvisionWeights.FcosResNet50Fpn, OneStageClassLayers),
        DetectionWeights.Torchvision("maskrcnn_resnet50_fpn", TorchvisionWeights.MaskRcnnResNet50Fpn, MaskRcnnClassLayers),
        DetectionWeights.Torchvision("maskrcnn_resnet50_fpn_v2", TorchvisionWeights.MaskRcnnResNet50FpnV2, MaskRcnnClassLayers),
        DetectionWeights.TimmBody("fasterrcnn_resnest50d_fpn", "resnest50d", RcnnClassLayers),
        DetectionWeights.TimmBody("fasterrcnn_resnest101e_fpn", "resnest101e", RcnnClassLayers),
        DetectionWeights.TimmBody("maskrcnn_resnest50d_fpn", "resnest50d", MaskRcnnClassLayers),
        DetectionWeights.TimmBody("maskrcnn_resnest101e_fpn", "resnest101e", MaskRcnnClassLayers),
        DetectionWeights.TimmBody("retinanet_resnest50d_fpn", "resnest50d", OneStageClassLayers),
        DetectionWeights.TimmBody("retinanet_resnest101e_fpn", "resnest101e", OneStageClassLayers),
        DetectionWeights.TimmBody("fcos_resnest50d_fpn", "resnest50d", OneStageClassLayers),
        DetectionWeights.TimmBody("fcos_resnest101e_fpn", "resnest101e", OneStageClassLayers),
    ];

    private static readonly Dictionary<string, DetectionWeights> PublishedByName = Published.ToDictionary(w => w.Model, StringComparer.Ordinal);

    /// <summary>The names that have published weights (some name detectors that <see cref="Create"/> does not build yet).</summary>
    public static IReadOnlyList<string> PretrainedNames { get; } = PublishedByName.Keys.OrderBy(n => n, StringComparer.Ordinal).ToArray();

    /// <summary>The published weights of a detector: their source, class-sized layers and categories.</summary>
    /// <param name="name">A name from <see cref="PretrainedNames"/>.</param>
    /// <returns>The description.</returns>
    /// <exception cref="ArgumentException">No weights are published for the name.</exception>
    public static DetectionWeights Pretrained(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return PublishedByName.TryGetValue(name, out var weights)
            ? weights
            : throw new ArgumentException($"No published detection weights for '{name}'; known: {string.Join(", ", PretrainedNames)}.", nameof(name));
    }

    /// <summary>
    /// Creates a detector and loads its published weights: torchvision's COCO checkpoint from torch.hub's folder
    /// (downloaded once, its SHA-256 prefix checked, shared with Python's <c>torch.hub</c>); for the library's ResNeSt
    /// bodies (<c>fasterrcnn_resnest50d_fpn</c>, ...), timm's ImageNet weights of the body from the Hugging Face Hub
    /// (cached, shared with Python's huggingface_hub), the pyramid and heads keeping their initialisation.
    /// </summary>
    /// <remarks>
    /// With <paramref name="numClasses"/> other than 91 the class-sized layers (<see cref="DetectionWeights.ClassLayers"/>)
    /// of a COCO checkpoint keep their initialisation and everything else loads; <see cref="LoadPretrainedAsync"/> reports them as skipped.
    /// The weights expect no preprocessing beyond the model's own transform: RGB images in [0, 1].
    /// </remarks>
    /// <param name="name">A name that both <see cref="Names"/> and <see cref="PretrainedNames"/> hold.</param>
    /// <param name="numClasses">Classes, background included.</param>
    /// <param name="options">torchvision's keyword arguments; null for its defaults.</param>
    /// <param name="hub">Where and how the checkpoint is fetched; null for the process environment's.</param>
    /// <param name="progress">Receives bytes done, total and rate while downloading.</param>
    /// <param name="cancellationToken">Stops the download.</param>
    /// <returns>The detector with weights, in training mode, on the CPU.</returns>
    /// <exception cref="ArgumentException">The name is unknown or has no weights, or a setting is invalid.</exception>
    /// <exception cref="HubException">The weights cannot be fetched; the subclass and message say why.</exception>
    /// <exception cref="PyTorchCheckpointFormatException">The checkpoint is malformed.</exception>
    /// <exception cref="StateDictMismatchException">The checkpoint does not fit the model.</exception>
    public static async Task<Detector> CreatePretrainedAsync(string name, int numClasses = TorchvisionWeights.CocoNumClasses, DetectionOptions? options = null,
        HubOptions? hub = null, IProgress<HubDownloadProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        Pretrained(name);
        var model = Create(name, numClasses, options);
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
    /// <param name="name">A name that both <see cref="Names"/> and <see cref="PretrainedNames"/> hold.</param>
    /// <param name="numClasses">Classes, background included.</param>
    /// <param name="options">torchvision's keyword arguments; null for its defaults.</param>
    /// <param name="hub">Where and how the checkpoint is fetched; null for the process environment's.</param>
    /// <param name="progress">Receives bytes done, total and rate while downloading.</param>
    /// <param name="cancellationToken">Stops the download.</param>
    /// <returns>The detector with weights.</returns>
    /// <exception cref="ArgumentException">The name is unknown or has no weights, or a setting is invalid.</exception>
    /// <exception cref="HubException">The weights cannot be fetched.</exception>
    /// <exception cref="PyTorchCheckpointFormatException">The checkpoint is malformed.</exception>
    /// <exception cref="StateDictMismatchException">The checkpoint does not fit the model.</exception>
    public static Detector CreatePretrained(string name, int numClasses = TorchvisionWeights.CocoNumClasses, DetectionOptions? options = null,
        HubOptions? hub = null, IProgress<HubDownloadProgress>? progress = null, CancellationToken cancellationToken = default) =>
        CreatePretrainedAsync(name, numClasses, options, hub, progress, cancellationToken).GetAwaiter().GetResult();

    /// <summary>
    /// Loads the published weights of <paramref name="name"/> into a detector built for it (see <see cref="CreatePretrainedAsync"/>),
    /// atomically: a failed load changes nothing.
    /// </summary>
    /// <param name="model">A detector with the keys of <paramref name="name"/>, such as one from <see cref="Create"/>.</param>
    /// <param name="name">A name from <see cref="PretrainedNames"/>.</param>
    /// <param name="hub">Where and how the checkpoint is fetched; null for the process environment's.</param>
    /// <param name="progress">Receives bytes done, total and rate while downloading.</param>
    /// <param name="cancellationToken">Stops the download.</param>
    /// <returns>
    /// For a COCO checkpoint, the keys left out (<see cref="LoadResult.SkippedKeys"/>: the class-sized layers of another
    /// class count); for a timm body, the body's load (keys relative to <c>backbone.body</c>; timm's classifier <c>fc.*</c> is skipped).
    /// </returns>
    /// <exception cref="ArgumentException">No weights are published for the name.</exception>
    /// <exception cref="HubException">The weights cannot be fetched.</exception>
    /// <exception cref="PyTorchCheckpointFormatException">The checkpoint is malformed; the model is unchanged.</exception>
    /// <exception cref="StateDictMismatchException">The checkpoint does not fit the model; it is unchanged.</exception>
    public static async Task<LoadResult> LoadPretrainedAsync(Detector model, string name, HubOptions? hub = null,
        IProgress<HubDownloadProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        var weights = Pretrained(name);
        string path = await weights.Source.FetchAsync(hub, progress, cancellationToken).ConfigureAwait(false);
        return LoadCheckpoint(model, weights, path);
    }

    /// <summary>
    /// Loads a fetched file by the description's rule: the whole detector by key, leaving new the class-sized layers
    /// that do not fit; or a timm backbone into the body under <see cref="DetectionWeights.BackbonePrefix"/>, leaving out its classifier.
    /// </summary>
    internal static LoadResult LoadCheckpoint(Detector model, DetectionWeights weights, string path)
    {
        if (weights.BackbonePrefix is null)
            return ClassifierKeys.LoadSkippingUnfit(model, path, weights.IsClassLayer);
        string bodyName = weights.BackbonePrefix.TrimEnd('.');
        var body = model.named_modules().Where(m => m.name == bodyName).Select(m => m.module).FirstOrDefault()
            ?? throw new ArgumentException($"The detector has no module '{bodyName}' for the backbone weights of '{weights.Model}'; build it with DetectionModels.Create(\"{weights.Model}\").", nameof(model));
        return ClassifierKeys.LoadSkippingUnfit(body, path);
    }
}
