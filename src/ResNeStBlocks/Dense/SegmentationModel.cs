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
/// <see cref="ResNet"/> backbone without classifier, a head on its stages, and optionally an auxiliary head on the
/// stages before the last; the logits are resized bilinearly to the input's size.
/// </summary>
/// <remarks>
/// <para>Keys are torchvision's: <c>backbone.*</c> (the ResNet's own keys, as torchvision's
/// <c>IntermediateLayerGetter</c> keeps them), <c>classifier.*</c>, <c>aux_classifier.*</c>.</para>
/// <para>Both heads are <see cref="ISegmentationHead"/>s (<see cref="DeepLabHead"/>, <see cref="FcnHead"/>,
/// <see cref="DeepLabV3PlusHead"/>, your own): each reads the stages it needs and states how its logits are resized.
/// The auxiliary head (torchvision: an <see cref="FcnHead"/> on layer3) is given the stages up to the second-to-last.
/// The model owns, and disposes, the modules it is given.</para>
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

    private const string ClassifierKey = "classifier";
    private const string AuxClassifierKey = "aux_classifier";

    private readonly ResNet backbone;
    private readonly ISegmentationHead head;
    private readonly nn.Module classifier;
    private readonly ISegmentationHead? auxHead;
    private readonly nn.Module? auxClassifier;
    // The backbone's first convolution: its weight sets the dtype and device inputs must have.
    private readonly Conv2d stemConvolution;

    /// <summary>Combines a backbone with a head and, optionally, an auxiliary head.</summary>
    /// <param name="backbone">A ResNet without classifier (<c>NumClasses = 0</c>), usually dilated (output stride 8 or 16).</param>
    /// <param name="classifier">The head (a TorchSharp module): every stage in, logits out.</param>
    /// <param name="auxClassifier">Optional auxiliary head, given the stages up to the second-to-last (torchvision: <c>new FcnHead(1024, classes)</c>).</param>
    /// <exception cref="ArgumentException">The backbone has a classifier or too few stages, a head is not a module, or a head cannot read its stages
    /// (its channels differ from its stage's).</exception>
    public SegmentationModel(ResNet backbone, ISegmentationHead classifier, ISegmentationHead? auxClassifier = null)
        : base(nameof(SegmentationModel))
    {
        Runtime.NativeRuntime.EnsureCpuChecked();
        ArgumentNullException.ThrowIfNull(backbone);
        ArgumentNullException.ThrowIfNull(classifier);
        var stages = backbone.FeatureInfo;
        if (backbone.NumClasses != 0)
            throw new ArgumentException(
                $"The backbone has a classifier (fc, {backbone.NumClasses} classes), which a segmentation model does not use; build it " +
                "without one: NumClasses = 0 in its ResNetConfig, or ModelZoo.Create(name, numClasses: 0, ...).", nameof(backbone));
        if (auxClassifier is not null && stages.Count < 2)
            throw new ArgumentException(
                $"The backbone has {stages.Count} stage; an auxiliary head reads the stages before the last and needs at least two.", nameof(backbone));
        this.classifier = ModuleOf(classifier, nameof(classifier));
        this.auxClassifier = auxClassifier is null ? null : ModuleOf(auxClassifier, nameof(auxClassifier));
        classifier.CheckStages(stages, nameof(classifier));
        auxClassifier?.CheckStages(BeforeLast(stages), nameof(auxClassifier));

        this.backbone = backbone;
        head = classifier;
        auxHead = auxClassifier;
        stemConvolution = backbone.modules().OfType<Conv2d>().First();
        register_module("backbone", backbone);
        register_module(ClassifierKey, this.classifier);
        if (this.auxClassifier is not null)
            register_module(AuxClassifierKey, this.auxClassifier);
    }

    /// <summary>The feature extractor (keys <c>backbone.*</c>).</summary>
    public ResNet Backbone => backbone;

    /// <summary>The head (keys <c>classifier.*</c>).</summary>
    public nn.Module Classifier => classifier;

    /// <summary>The auxiliary head on the stages before the last (keys <c>aux_classifier.*</c>), or null.</summary>
    public nn.Module? AuxClassifier => auxClassifier;

    /// <summary>The classes the head predicts (the logits' channels).</summary>
    public int NumClasses => head.NumClasses;

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
        var aux = auxHead is null ? null : Resize(auxHead, auxHead.ForwardStages(BeforeLast(stages)), input);
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
        var outputs = new List<NamedValue> { new(OutName, DescribeHead(graph, head, classifier, stages, input)) };
        if (auxHead is not null)
            outputs.Add(new(AuxName, DescribeHead(graph, auxHead, auxClassifier!, BeforeLast(stages), input)));
        return outputs;
    }

    /// <summary>
    /// Whether a state-dict key depends on the class count or on having an auxiliary head: the main head's
    /// <see cref="ISegmentationHead.ClassLayers"/> and the whole auxiliary head. Pretrained weights for another class
    /// count, or with an auxiliary head the model lacks, load everything else.
    /// </summary>
    /// <param name="key">A key of this model's state dict, or of a checkpoint for it.</param>
    /// <returns>True for the class-sized layers and the auxiliary head.</returns>
    internal bool DependsOnClassesOrAux(string key) =>
        head.ClassLayers.Any(layer => key.StartsWith($"{ClassifierKey}.{layer}.", StringComparison.Ordinal)) ||
        key.StartsWith($"{AuxClassifierKey}.", StringComparison.Ordinal);

    private Tensor Main(IReadOnlyList<Tensor> stages, Tensor input) => Resize(head, head.ForwardStages(stages), input);

    private static GraphValue DescribeHead(ForwardGraph graph, ISegmentationHead head, nn.Module module, IReadOnlyList<GraphValue> stages,
        GraphValue input) =>
        graph.Resize(graph.Within(module, () => head.DescribeStages(graph, stages)), input, ResizeMode.Bilinear, head.AlignCorners);

    private static Tensor Resize(ISegmentationHead head, Tensor logits, Tensor input) =>
        nn.functional.interpolate(logits, new[] { input.size(2), input.size(3) }, mode: InterpolationMode.Bilinear, align_corners: head.AlignCorners);

    // The auxiliary head's view: every stage but the last.
    private static IReadOnlyList<T> BeforeLast<T>(IReadOnlyList<T> stages) => stages.Take(stages.Count - 1).ToArray();

    private static nn.Module ModuleOf(ISegmentationHead head, string parameterName) =>
        head as nn.Module ?? throw new ArgumentException(
            $"{head.GetType().Name} implements ISegmentationHead but is not a TorchSharp module; derive it from nn.Module so its parameters " +
            "belong to the model.", parameterName);

    /// <summary>Registers nothing: the constructor registered every child under its reference key (TorchSharp's default would add each field again by its name).</summary>
    protected override void RegisterComponents()
    {
    }
}
