using System;
using System.Collections.Generic;
using System.Linq;
using ResNeStBlocks.Backbones;
using ResNeStBlocks.Layers;
using ResNeStBlocks.Description;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ResNeStBlocks.Dense;

/// <summary>
/// The DeepLabV3+ decoder and classifier (Chen et al., 2018) as segmentation_models_pytorch builds them: ASPP on the
/// deepest features, resized to the low-level features (stage 1, stride 4), concatenated with their 48-channel
/// projection, refined by a 3x3 convolution, and classified by a 1x1 convolution. The logits come out at the low-level
/// resolution; <see cref="SegmentationModel"/> resizes them to the input.
/// </summary>
/// <remarks>
/// <para>Keys: <c>aspp.0.*</c> (an <see cref="Aspp"/>), <c>aspp.1.{0,1}</c> (depthwise and pointwise 3x3),
/// <c>aspp.2.*</c> (BatchNorm), <c>block1.0.weight</c> (1x1 low-level projection), <c>block1.1.*</c>,
/// <c>block2.0.{0,1}</c> (separable 3x3 over the concatenation), <c>block2.1.*</c>, <c>head.weight</c>,
/// <c>head.bias</c>. They are smp's <c>decoder.*</c> keys with <c>segmentation_head.0.*</c> renamed <c>head.*</c>, so
/// an smp DeepLabV3Plus checkpoint's decoder loads after renaming <c>decoder.</c> to <c>classifier.</c> and
/// <c>segmentation_head.0.</c> to <c>classifier.head.</c>.</para>
/// <para>Separable convolutions follow smp's defaults: the two 3x3 decoder convolutions are always
/// depthwise-separable, and so are the ASPP's atrous branches unless <c>separableAspp</c> is false (smp's
/// <c>decoder_aspp_separable</c>). The ASPP output is resized with align_corners true, as smp's
/// <c>UpsamplingBilinear2d(scale_factor=4)</c>: identical at output stride 16 whenever the input's sides are
/// multiples of 16 (the only sizes smp accepts), and defined for every other size too. Initialisation is smp's:
/// Kaiming-uniform (fan-in, ReLU) decoder convolutions, a Xavier-uniform classifier, zero biases.</para>
/// </remarks>
public sealed class DeepLabV3PlusHead : nn.Module<Tensor, Tensor, Tensor>, ISegmentationHead
{
    /// <summary>Channels of the low-level projection (48, from the paper).</summary>
    public const int LowLevelProjection = 48;

    private readonly Sequential aspp;
    private readonly Sequential block1;
    private readonly Sequential block2;
    private readonly Conv2d head;
    // The first convolution reading each input: their weights set the dtype and device the inputs must have.
    private readonly Conv2d asppConvolution;
    private readonly Conv2d lowLevelConvolution;

    /// <summary>Creates the decoder with smp's initialisation.</summary>
    /// <param name="inChannels">Channels of the deepest feature map (2048 for ResNet-50).</param>
    /// <param name="lowLevelChannels">Channels of the stage-1 feature map (256 for ResNet-50).</param>
    /// <param name="numClasses">Classes to predict.</param>
    /// <param name="channels">Decoder width (smp: 256).</param>
    /// <param name="atrousRates">The ASPP's rates; default 12, 24, 36 (smp's default).</param>
    /// <param name="separableAspp">Depthwise-separable ASPP branches (smp's default: true).</param>
    /// <param name="dropout">Dropout after the ASPP projection (smp: 0.5).</param>
    /// <exception cref="ArgumentException">A count or rate is not positive, or <paramref name="dropout"/> is not in [0, 1).</exception>
    public DeepLabV3PlusHead(int inChannels, int lowLevelChannels, int numClasses, int channels = 256,
        IReadOnlyList<int>? atrousRates = null, bool separableAspp = true, double dropout = 0.5)
        : base(nameof(DeepLabV3PlusHead))
    {
        Runtime.NativeRuntime.EnsureCpuChecked();
        Guard.Positive((inChannels, nameof(inChannels)), (lowLevelChannels, nameof(lowLevelChannels)),
            (numClasses, nameof(numClasses)), (channels, nameof(channels)));
        InChannels = inChannels;
        LowLevelChannels = lowLevelChannels;
        NumClasses = numClasses;
        var pyramid = new Aspp(inChannels, atrousRates, channels, separableAspp, dropout);
        aspp = nn.Sequential(pyramid, ConvUnits.Separable(channels, channels, 3), nn.BatchNorm2d(channels), nn.ReLU(inplace: true));
        block1 = ConvUnits.ConvBnRelu(lowLevelChannels, LowLevelProjection, 1);
        block2 = ConvUnits.SeparableBnRelu(LowLevelProjection + channels, channels, 3);
        head = nn.Conv2d(channels, numClasses, 1);
        asppConvolution = pyramid.modules().OfType<Conv2d>().First();
        lowLevelConvolution = block1.modules().OfType<Conv2d>().First();
        register_module(nameof(aspp), aspp);
        register_module(nameof(block1), block1);
        register_module(nameof(block2), block2);
        register_module(nameof(head), head);
        Initialize();
    }

    /// <summary>Channels of the deepest feature map.</summary>
    public int InChannels { get; }

    /// <summary>Channels of the low-level (stage 1) feature map.</summary>
    public int LowLevelChannels { get; }

    /// <summary>Classes predicted (output channels).</summary>
    public int NumClasses { get; }

    // smp's segmentation_head.0, here head; smp upsamples with align_corners true.
    IReadOnlyList<string> ISegmentationHead.ClassLayers { get; } = new[] { nameof(head) };

    bool ISegmentationHead.AlignCorners => true;

    void ISegmentationHead.CheckStages(IReadOnlyList<FeatureInfo> stages, string parameterName)
    {
        HeadStages.CheckCount(stages, 2, "A DeepLabV3+ head (the last stage and layer1)", parameterName);
        HeadStages.CheckChannels(InChannels, stages[^1], parameterName);
        HeadStages.CheckChannels(LowLevelChannels, stages[0], parameterName, " (its low-level features)");
    }

    Tensor ISegmentationHead.ForwardStages(IReadOnlyList<Tensor> stages) => call(stages[^1], stages[0]);

    GraphValue ISegmentationHead.DescribeStages(ForwardGraph graph, IReadOnlyList<GraphValue> stages) => Describe(graph, stages[^1], stages[0]);

    /// <summary>Class logits at the resolution of <paramref name="lowLevel"/>.</summary>
    /// <param name="input">The deepest features [N, <see cref="InChannels"/>, h, w].</param>
    /// <param name="lowLevel">Stage-1 features [N, <see cref="LowLevelChannels"/>, H, W] (H, W about 4h, 4w at output stride 16).</param>
    /// <returns>Logits [N, <see cref="NumClasses"/>, H, W].</returns>
    /// <exception cref="ArgumentException">An input's shape, dtype or device does not fit, or the batch sizes differ.</exception>
    public override Tensor forward(Tensor input, Tensor lowLevel)
    {
        Guard.Image(input, InChannels, nameof(DeepLabV3PlusHead), asppConvolution.weight);
        Guard.Image(lowLevel, LowLevelChannels, nameof(DeepLabV3PlusHead) + " (low-level features)", lowLevelConvolution.weight, nameof(lowLevel));
        if (lowLevel.size(0) != input.size(0))
            throw new ArgumentException(
                $"DeepLabV3PlusHead needs the same batch size for both inputs, got {input.size(0)} and {lowLevel.size(0)} (low-level).",
                nameof(lowLevel));
        using var scope = NewDisposeScope();
        var context = nn.functional.interpolate(aspp.CallOrPass(input), new[] { lowLevel.size(2), lowLevel.size(3) },
            mode: InterpolationMode.Bilinear, align_corners: true);
        var fused = block2.CallOrPass(cat(new[] { context, block1.CallOrPass(lowLevel) }, 1));
        return head.call(fused).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Describes the eval-mode forward for a parent's description (inside <c>graph.Within(head, ...)</c>): with two
    /// inputs, the head cannot start a graph of its own.
    /// </summary>
    /// <param name="graph">The graph being built.</param>
    /// <param name="input">The deepest features.</param>
    /// <param name="lowLevel">The stage-1 features.</param>
    /// <returns>The logits at the low-level resolution.</returns>
    private GraphValue Describe(ForwardGraph graph, GraphValue input, GraphValue lowLevel)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var context = graph.Resize(graph.Call(aspp, input), lowLevel, ResizeMode.Bilinear, alignCorners: true);
        var fused = graph.Call(block2, graph.Concat(new[] { context, graph.Call(block1, lowLevel) }));
        return graph.Convolution(head, fused);
    }

    private void Initialize()
    {
        using var _ = no_grad();
        foreach (var module in new nn.Module[] { aspp, block1, block2 }.SelectMany(m => m.modules()))
            if (module is Conv2d conv)
            {
                nn.init.kaiming_uniform_(conv.weight!, mode: nn.init.FanInOut.FanIn, nonlinearity: nn.init.NonlinearityType.ReLU);
                if (conv.bias is not null)
                    nn.init.zeros_(conv.bias);
            }
        nn.init.xavier_uniform_(head.weight!);
        nn.init.zeros_(head.bias!);
    }

    /// <summary>Registers nothing: the constructor registered every child under its reference key (TorchSharp's default would add each field again by its name).</summary>
    protected override void RegisterComponents()
    {
    }
}
