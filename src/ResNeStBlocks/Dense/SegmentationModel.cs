using System;
using System.Collections.Generic;
using System.Linq;
using ResNeStBlocks.Backbones;
using ResNeStBlocks.Description;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ResNeStBlocks.Dense;

/// <summary>
/// A semantic segmentation network (torchvision's <c>_SimpleSegmentationModel</c>: DeepLabV3, FCN): a
/// <see cref="ResNet"/> backbone without classifier, a head on its last stage, and optionally an auxiliary head on the
/// stage before; the logits are resized bilinearly to the input's size.
/// </summary>
/// <remarks>
/// <para>Keys are torchvision's: <c>backbone.*</c> (the ResNet's own keys, as torchvision's
/// <c>IntermediateLayerGetter</c> keeps them), <c>classifier.*</c>, <c>aux_classifier.*</c>.</para>
/// <para>The head is any module from features to logits on the last stage (<see cref="DeepLabHead"/>,
/// <see cref="FcnHead"/>, your own), resized with align_corners false as torchvision does; or a
/// <see cref="DeepLabV3PlusHead"/>, which also reads stage 1 and is resized with align_corners true as
/// segmentation_models_pytorch does. The auxiliary head (torchvision: an <see cref="FcnHead"/>) reads the second-to-last
/// stage (layer3) and is resized with align_corners false. The model owns, and disposes, the modules it is given.</para>
/// <para>Training mode trains everything: BatchNorm uses batch statistics, dropout is active. Use
/// <see cref="ForwardWithAux"/> for the training loss (torchvision weighs the auxiliary loss 0.5), <c>call</c> or
/// <see cref="forward"/> for predictions.</para>
/// </remarks>
public sealed class SegmentationModel : nn.Module<Tensor, Tensor>, IDescribedOutputs
{
    /// <summary>The main output's name (torchvision's result key, and the ONNX output's).</summary>
    public const string OutName = "out";

    /// <summary>The auxiliary output's name.</summary>
    public const string AuxName = "aux";

    private readonly ResNet backbone;
    private readonly nn.Module<Tensor, Tensor>? lastStageHead;
    private readonly DeepLabV3PlusHead? encoderDecoderHead;
    private readonly nn.Module<Tensor, Tensor>? auxClassifier;
    // The backbone's first convolution: its weight sets the dtype and device inputs must have.
    private readonly Conv2d stemConvolution;

    /// <summary>Combines a backbone with a head on its last stage, as torchvision's DeepLabV3 and FCN do.</summary>
    /// <param name="backbone">A ResNet without classifier (<c>NumClasses = 0</c>), usually dilated (output stride 8 or 16).</param>
    /// <param name="classifier">The head: features of the last stage to logits (<see cref="DeepLabHead"/>, <see cref="FcnHead"/> or your own).</param>
    /// <param name="auxClassifier">Optional auxiliary head on the second-to-last stage (torchvision: <c>new FcnHead(1024, classes)</c>).</param>
    /// <exception cref="ArgumentException">The backbone has a classifier or too few stages, or a head's input channels differ from its stage's.</exception>
    public SegmentationModel(ResNet backbone, nn.Module<Tensor, Tensor> classifier, nn.Module<Tensor, Tensor>? auxClassifier = null)
        : this(backbone, classifier ?? throw new ArgumentNullException(nameof(classifier)), null, auxClassifier)
    {
    }

    /// <summary>Combines a backbone with a DeepLabV3+ head, which reads its last stage and stage 1.</summary>
    /// <param name="backbone">A ResNet without classifier (<c>NumClasses = 0</c>), usually at output stride 16.</param>
    /// <param name="classifier">The DeepLabV3+ decoder.</param>
    /// <param name="auxClassifier">Optional auxiliary head on the second-to-last stage.</param>
    /// <exception cref="ArgumentException">The backbone has a classifier or too few stages, or a head's input channels differ from its stage's.</exception>
    public SegmentationModel(ResNet backbone, DeepLabV3PlusHead classifier, nn.Module<Tensor, Tensor>? auxClassifier = null)
        : this(backbone, null, classifier ?? throw new ArgumentNullException(nameof(classifier)), auxClassifier)
    {
    }

    private SegmentationModel(ResNet backbone, nn.Module<Tensor, Tensor>? lastStageHead, DeepLabV3PlusHead? encoderDecoderHead,
        nn.Module<Tensor, Tensor>? auxClassifier) : base(nameof(SegmentationModel))
    {
        Runtime.NativeRuntime.EnsureCpuChecked();
        ArgumentNullException.ThrowIfNull(backbone);
        var stages = backbone.FeatureInfo;
        if (backbone.NumClasses != 0)
            throw new ArgumentException(
                $"The backbone has a classifier (fc, {backbone.NumClasses} classes), which a segmentation model does not use; build it " +
                "without one: NumClasses = 0 in its ResNetConfig, or ModelZoo.Create(name, numClasses: 0, ...).", nameof(backbone));
        if ((auxClassifier is not null || encoderDecoderHead is not null) && stages.Count < 2)
            throw new ArgumentException(
                $"The backbone has {stages.Count} stage; an auxiliary head or a DeepLabV3+ head needs at least two.", nameof(backbone));
        CheckChannels(lastStageHead is null ? null : InChannelsOf(lastStageHead), stages[^1], "classifier");
        if (encoderDecoderHead is not null)
        {
            CheckChannels(encoderDecoderHead.InChannels, stages[^1], "classifier");
            CheckChannels(encoderDecoderHead.LowLevelChannels, stages[0], "classifier", " (its low-level features)");
        }
        if (auxClassifier is not null)
            CheckChannels(InChannelsOf(auxClassifier), stages[^2], nameof(auxClassifier));

        this.backbone = backbone;
        this.lastStageHead = lastStageHead;
        this.encoderDecoderHead = encoderDecoderHead;
        this.auxClassifier = auxClassifier;
        stemConvolution = backbone.modules().OfType<Conv2d>().First();
        register_module("backbone", backbone);
        register_module("classifier", Classifier);
        if (auxClassifier is not null)
            register_module("aux_classifier", auxClassifier);
    }

    /// <summary>The feature extractor (keys <c>backbone.*</c>).</summary>
    public ResNet Backbone => backbone;

    /// <summary>The head (keys <c>classifier.*</c>): a module on the last stage, or a <see cref="DeepLabV3PlusHead"/>.</summary>
    public nn.Module Classifier => (nn.Module?)lastStageHead ?? encoderDecoderHead!;

    /// <summary>The auxiliary head on the second-to-last stage (keys <c>aux_classifier.*</c>), or null.</summary>
    public nn.Module<Tensor, Tensor>? AuxClassifier => auxClassifier;

    /// <summary>The classes the head predicts (the logits' channels), or null for a head of your own whose class count it does not state.</summary>
    public int? NumClasses => lastStageHead switch
    {
        null => encoderDecoderHead!.NumClasses,
        DeepLabHead deepLab => deepLab.NumClasses,
        FcnHead fcn => fcn.Channels,
        _ => null,
    };

    /// <summary>The backbone's output stride: the input's size over the last stage's.</summary>
    public int OutputStride => backbone.FeatureInfo[^1].Reduction;

    /// <summary>Per-pixel class logits (torchvision's <c>"out"</c>); the auxiliary head is not run.</summary>
    /// <param name="input">Images [N, C, H, W] with the backbone's channels, dtype and device.</param>
    /// <returns>Logits [N, classes, H, W].</returns>
    /// <exception cref="ArgumentException">The input's shape, dtype or device does not fit the model.</exception>
    public override Tensor forward(Tensor input)
    {
        Guard.Image(input, backbone.Config.InChannels, nameof(SegmentationModel), stemConvolution.weight);
        using var scope = NewDisposeScope();
        var stages = backbone.ForwardStages(input);
        return Main(stages, input).MoveToOuterDisposeScope();
    }

    /// <summary>The main and the auxiliary logits (torchvision's <c>"out"</c> and <c>"aux"</c>), for training losses.</summary>
    /// <param name="input">Images [N, C, H, W] with the backbone's channels, dtype and device.</param>
    /// <returns>Both logits [N, classes, H, W]; <see cref="SegmentationOutput.Aux"/> is null without an auxiliary head.</returns>
    /// <exception cref="ArgumentException">The input's shape, dtype or device does not fit the model.</exception>
    public SegmentationOutput ForwardWithAux(Tensor input)
    {
        Guard.Image(input, backbone.Config.InChannels, nameof(SegmentationModel), stemConvolution.weight);
        using var scope = NewDisposeScope();
        var stages = backbone.ForwardStages(input);
        var main = Main(stages, input);
        var aux = auxClassifier is null ? null : Resize(auxClassifier.call(stages[^2]), input, alignCorners: false);
        return new SegmentationOutput(main.MoveToOuterDisposeScope(), aux?.MoveToOuterDisposeScope());
    }

    /// <summary>Describes the eval-mode forward: torchvision's <c>"out"</c> and, with an auxiliary head, <c>"aux"</c>.</summary>
    /// <param name="graph">The graph being built.</param>
    /// <param name="input">Images [N, C, H, W].</param>
    /// <returns>"out", then "aux" when the model has an auxiliary head.</returns>
    public IReadOnlyList<NamedValue> DescribeOutputs(ForwardGraph graph, GraphValue input)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var stages = graph.Within(backbone, () => backbone.DescribeStages(graph, input));
        var main = encoderDecoderHead is null
            ? graph.Resize(graph.Call(lastStageHead!, stages[^1]), input, ResizeMode.Bilinear, alignCorners: false)
            : graph.Resize(graph.Within(encoderDecoderHead, () => encoderDecoderHead.Describe(graph, stages[^1], stages[0])), input,
                ResizeMode.Bilinear, alignCorners: true);
        var outputs = new List<NamedValue> { new(OutName, main) };
        if (auxClassifier is not null)
            outputs.Add(new(AuxName, graph.Resize(graph.Call(auxClassifier, stages[^2]), input, ResizeMode.Bilinear, alignCorners: false)));
        return outputs;
    }

    private Tensor Main(IReadOnlyList<Tensor> stages, Tensor input) =>
        encoderDecoderHead is null
            ? Resize(lastStageHead!.call(stages[^1]), input, alignCorners: false)
            : Resize(encoderDecoderHead.call(stages[^1], stages[0]), input, alignCorners: true);

    private static Tensor Resize(Tensor logits, Tensor input, bool alignCorners) =>
        nn.functional.interpolate(logits, new[] { input.size(2), input.size(3) }, mode: InterpolationMode.Bilinear, align_corners: alignCorners);

    private static int? InChannelsOf(nn.Module head) => head switch
    {
        DeepLabHead deepLab => deepLab.InChannels,
        FcnHead fcn => fcn.InChannels,
        _ => null,
    };

    private static void CheckChannels(int? headChannels, FeatureInfo stage, string parameter, string what = "")
    {
        if (headChannels is { } channels && channels != stage.Channels)
            throw new ArgumentException(
                $"The {parameter}{what} expects {channels} channels but the backbone's {stage.Module} gives {stage.Channels}; " +
                $"create it with {stage.Channels} input channels.", parameter);
    }

    /// <summary>Registers nothing: the constructor registered every child under its reference key (TorchSharp's default would add each field again by its name).</summary>
    protected override void RegisterComponents()
    {
    }
}
