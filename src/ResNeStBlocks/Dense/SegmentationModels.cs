using System;
using System.Collections.Generic;
using System.Linq;
using ResNeStBlocks.Backbones;
using ResNeStBlocks.Hub;
using ResNeStBlocks.Zoo;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNeStBlocks.Dense;

/// <summary>
/// Segmentation models by name: torchvision's <c>deeplabv3_resnet50</c>, <c>deeplabv3_resnet101</c>,
/// <c>fcn_resnet50</c>, <c>fcn_resnet101</c> with their exact keys and parameter counts, and the same heads (plus
/// DeepLabV3+) on ResNeSt backbones.
/// </summary>
/// <remarks>
/// <para>A name is <c>{head}_{backbone}</c>: the head is <c>deeplabv3</c> or <c>fcn</c> (backbone at output stride 8,
/// stages 3 and 4 dilated, as torchvision's <c>replace_stride_with_dilation=[False, True, True]</c>) or
/// <c>deeplabv3plus</c> (output stride 16, stage 4 dilated, as segmentation_models_pytorch); the backbone is
/// <c>resnet50</c> or <c>resnet101</c> (torchvision's ResNets, which have timm's keys; initialised as torchvision
/// does, without zero-initialised last BatchNorms) or a ResNeSt of <see cref="ModelZoo"/>: <c>resnest50d</c>,
/// <c>resnest101e</c>, <c>resnest200e</c>, <c>resnest269e</c> (the backbones of the ResNeSt paper's ADE20K results).
/// Any other backbone: <see cref="Create(SegmentationHeadType, ResNetConfig, int, bool)"/>.</para>
/// <para>Parameter counts with 21 classes and the auxiliary head equal torchvision's: deeplabv3_resnet50 42,004,074,
/// deeplabv3_resnet101 60,996,202, fcn_resnet50 35,322,218, fcn_resnet101 54,314,346.</para>
/// <para>Weights are initialised unless <c>pretrained</c> is set (see <see cref="CreatePretrainedAsync"/>): torchvision's
/// four models load torchvision's COCO checkpoints (VOC classes, <see cref="TorchvisionCheckpoint"/>) through torch.hub's
/// folder, the others start their backbone from timm's ImageNet weights through the Hugging Face Hub.</para>
/// </remarks>
public static partial class SegmentationModels
{
    private sealed record Entry(SegmentationHeadType Head, string Backbone);

    /// <summary>How a head type is named and built on a backbone's stages.</summary>
    private sealed record HeadEntry(string Prefix, int OutputStride, Func<IReadOnlyList<FeatureInfo>, int, ISegmentationHead> Build);

    // torchvision's heads at output stride 8; smp's DeepLabV3+ at 16.
    private static readonly Dictionary<SegmentationHeadType, HeadEntry> HeadEntries = new()
    {
        [SegmentationHeadType.DeepLabV3] = new("deeplabv3", 8, (stages, classes) => new DeepLabHead(stages[^1].Channels, classes)),
        [SegmentationHeadType.Fcn] = new("fcn", 8, (stages, classes) => new FcnHead(stages[^1].Channels, classes)),
        [SegmentationHeadType.DeepLabV3Plus] = new("deeplabv3plus", 16,
            (stages, classes) => new DeepLabV3PlusHead(stages[^1].Channels, stages[0].Channels, classes)),
    };

    private static readonly string[] Backbones = { "resnet50", "resnet101", "resnest50d", "resnest101e", "resnest200e", "resnest269e" };

    private static readonly Dictionary<string, Entry> Entries =
        HeadEntries.SelectMany(head => Backbones.Select(backbone => (Name: $"{head.Value.Prefix}_{backbone}", Entry: new Entry(head.Key, backbone))))
            .ToDictionary(e => e.Name, e => e.Entry, StringComparer.Ordinal);

    /// <summary>Every model name, sorted.</summary>
    public static IReadOnlyList<string> Names { get; } = Entries.Keys.OrderBy(n => n, StringComparer.Ordinal).ToArray();

    /// <summary>Whether <paramref name="name"/> is one of <see cref="Names"/>.</summary>
    /// <param name="name">A model name.</param>
    /// <returns>True when <see cref="Create(string, int, bool, Func{ResNetConfig, ResNetConfig}, bool)"/> accepts it.</returns>
    public static bool Contains(string name) => name is not null && Entries.ContainsKey(name);

    /// <summary>
    /// Creates a model by name, in training mode, on the CPU: initialised, or with pretrained weights when
    /// <paramref name="pretrained"/> (see <see cref="CreatePretrainedAsync"/> for what loads, options, progress and cancellation).
    /// </summary>
    /// <param name="name">A name from <see cref="Names"/>, such as <c>deeplabv3_resnet50</c> or <c>deeplabv3_resnest50d</c>.</param>
    /// <param name="numClasses">Classes to predict (torchvision's default: 21, the VOC classes with background).</param>
    /// <param name="auxLoss">Add the auxiliary <see cref="FcnHead"/> on stage 3 (torchvision's <c>aux_loss</c>).</param>
    /// <param name="configure">Optional changes to the backbone, such as <c>c =&gt; c with { OutputStride = 16, DropPathRate = 0.1 }</c>.</param>
    /// <param name="pretrained">Load the pretrained weights of <paramref name="name"/> (downloaded once into the caches Python uses,
    /// configured by their environment variables): torchvision's checkpoint, or timm's weights for the backbone.</param>
    /// <returns>The model; its keys are torchvision's (<c>backbone.*</c>, <c>classifier.*</c>, <c>aux_classifier.*</c>).</returns>
    /// <exception cref="ArgumentException">The name is unknown, <paramref name="numClasses"/> is not positive, or the configured backbone is invalid.</exception>
    /// <exception cref="HubException">The weights cannot be fetched; the subclass and message say why.</exception>
    /// <exception cref="Weights.StateDictMismatchException"><paramref name="configure"/> changed the keys or shapes the weights have.</exception>
    public static SegmentationModel Create(string name, int numClasses = 21, bool auxLoss = true, Func<ResNetConfig, ResNetConfig>? configure = null,
        bool pretrained = false)
    {
        if (pretrained)
            return CreatePretrained(name, numClasses, auxLoss, configure);
        var entry = Find(name);
        var config = BackboneConfig(name);
        if (configure is not null)
            config = configure(config) ?? throw new ArgumentException("configure returned null; return the changed configuration.", nameof(configure));
        return Create(entry.Head, config, numClasses, auxLoss);
    }

    /// <summary>Creates a model from a head type and any backbone architecture, initialised, in training mode, on the CPU.</summary>
    /// <param name="head">The head.</param>
    /// <param name="backbone">The backbone, dilated to output stride 8 or 16 (for example
    /// <c>ModelZoo.Config("resnest50d") with { OutputStride = 8 }</c>); its classifier is dropped (<c>NumClasses = 0</c>).</param>
    /// <param name="numClasses">Classes to predict.</param>
    /// <param name="auxLoss">Add the auxiliary <see cref="FcnHead"/> on the second-to-last stage.</param>
    /// <returns>The model.</returns>
    /// <exception cref="ArgumentException">The head is unknown, <paramref name="numClasses"/> is not positive, or the backbone is not dilated or invalid.</exception>
    public static SegmentationModel Create(SegmentationHeadType head, ResNetConfig backbone, int numClasses = 21, bool auxLoss = true)
    {
        ArgumentNullException.ThrowIfNull(backbone);
        if (!HeadEntries.TryGetValue(head, out var entry))
            throw new ArgumentOutOfRangeException(nameof(head), head, $"Unknown head {head}; use one of {string.Join(", ", Enum.GetNames<SegmentationHeadType>())}.");
        Guard.Positive(numClasses, nameof(numClasses));
        if (backbone.OutputStride is not (8 or 16))
            throw new ArgumentException(
                $"A segmentation backbone is dilated to output stride 8 or 16 ({head} uses {entry.OutputStride}), got " +
                $"{backbone.OutputStride}; pass the configuration with {{ OutputStride = {entry.OutputStride} }}.", nameof(backbone));
        return Create(backbone, stages => entry.Build(stages, numClasses), numClasses, auxLoss);
    }

    /// <summary>
    /// Creates a model from any head and any backbone architecture, initialised, in training mode, on the CPU: the backbone
    /// is built first, then <paramref name="head"/> builds the head for its stages.
    /// </summary>
    /// <param name="backbone">The backbone, usually dilated (output stride 8 or 16); its classifier is dropped (<c>NumClasses = 0</c>).</param>
    /// <param name="head">Builds the head from the backbone's stages, such as
    /// <c>stages =&gt; new DeepLabHead(stages[^1].Channels, classes)</c>; it must return a TorchSharp module.</param>
    /// <param name="numClasses">Classes of the auxiliary head; the head's own must be the same.</param>
    /// <param name="auxLoss">Add the auxiliary <see cref="FcnHead"/> on the second-to-last stage.</param>
    /// <returns>The model.</returns>
    /// <exception cref="ArgumentException">The backbone is invalid, or the head does not fit it or predicts another class count.</exception>
    public static SegmentationModel Create(ResNetConfig backbone, Func<IReadOnlyList<FeatureInfo>, ISegmentationHead> head, int numClasses = 21,
        bool auxLoss = true)
    {
        ArgumentNullException.ThrowIfNull(backbone);
        ArgumentNullException.ThrowIfNull(head);
        Guard.Positive(numClasses, nameof(numClasses));
        var config = backbone with { NumClasses = 0 };
        config.Validate();

        var built = new List<IDisposable>();
        try
        {
            var network = new ResNet(config);
            built.Add(network);
            var stages = network.FeatureInfo;
            if (auxLoss && stages.Count < 2)
                throw new ArgumentException($"The auxiliary head reads the second-to-last stage; the backbone has {stages.Count}.", nameof(auxLoss));
            var aux = auxLoss ? new FcnHead(stages[^2].Channels, numClasses) : null;
            if (aux is not null)
                built.Add(aux);
            var classifier = head(stages) ?? throw new ArgumentException("The head factory returned null; return the head.", nameof(head));
            if (classifier is IDisposable disposable)
                built.Add(disposable);
            if (classifier.NumClasses != numClasses)
                throw new ArgumentException(
                    $"The head predicts {classifier.NumClasses} classes but numClasses is {numClasses}; build both for the same classes.", nameof(head));
            return new SegmentationModel(network, classifier, aux);
        }
        catch
        {
            // Nothing half-built outlives the failure.
            foreach (var module in built)
                module.Dispose();
            throw;
        }
    }

    /// <summary>The backbone architecture of a named model: dilated for its head, without classifier.</summary>
    /// <param name="name">A name from <see cref="Names"/>.</param>
    /// <returns>The configuration <see cref="Create(string, int, bool, Func{ResNetConfig, ResNetConfig}, bool)"/> builds the backbone from.</returns>
    /// <exception cref="ArgumentException">The name is unknown.</exception>
    public static ResNetConfig BackboneConfig(string name)
    {
        var entry = Find(name);
        var config = entry.Backbone switch
        {
            // torchvision's ResNets: timm's resnet50 architecture (same keys), initialised without zero-init of the last norms.
            "resnet50" => ModelZoo.Config("resnet50") with { ZeroInitLast = false },
            "resnet101" => ModelZoo.Config("resnet50") with { Layers = new[] { 3, 4, 23, 3 }, ZeroInitLast = false },
            _ => ModelZoo.Config(entry.Backbone),
        };
        return config with { NumClasses = 0, OutputStride = HeadEntries[entry.Head].OutputStride };
    }

    /// <summary>The head a named model uses.</summary>
    /// <param name="name">A name from <see cref="Names"/>.</param>
    /// <returns>The head type.</returns>
    /// <exception cref="ArgumentException">The name is unknown.</exception>
    public static SegmentationHeadType HeadType(string name) => Find(name).Head;

    /// <summary>
    /// The file name of torchvision's published checkpoint for <paramref name="name"/> (served under
    /// <c>https://download.pytorch.org/models/</c>, cached by torch.hub as <c>$TORCH_HOME/hub/checkpoints/</c> plus this name),
    /// or null when torchvision publishes none.
    /// </summary>
    /// <param name="name">A name from <see cref="Names"/>.</param>
    /// <returns>Such as <c>deeplabv3_resnet50_coco-cd0a2569.pth</c>, or null.</returns>
    /// <exception cref="ArgumentException">The name is unknown.</exception>
    public static string? TorchvisionCheckpoint(string name)
    {
        Find(name);
        return TorchvisionWeights.Models.Contains(name) ? TorchvisionWeights.FileName(name) : null;
    }

    /// <summary>The output stride a head is built for: 8 for DeepLabV3 and FCN (torchvision), 16 for DeepLabV3+ (smp).</summary>
    /// <param name="head">The head.</param>
    /// <returns>8 or 16.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The head is unknown.</exception>
    public static int DefaultOutputStride(SegmentationHeadType head) =>
        HeadEntries.TryGetValue(head, out var entry)
            ? entry.OutputStride
            : throw new ArgumentOutOfRangeException(nameof(head), head, $"Unknown head {head}; use one of {string.Join(", ", Enum.GetNames<SegmentationHeadType>())}.");

    private static Entry Find(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return Entries.TryGetValue(name, out var entry)
            ? entry
            : throw new ArgumentException($"Unknown segmentation model '{name}'. Known models: {string.Join(", ", Names)}.", nameof(name));
    }
}
