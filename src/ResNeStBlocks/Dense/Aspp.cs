using System;
using System.Collections.Generic;
using System.Linq;
using ResNeStBlocks.Layers;
using ResNeStBlocks.Description;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ResNeStBlocks.Dense;

/// <summary>
/// Atrous Spatial Pyramid Pooling (Chen et al., 2017; torchvision <c>ASPP</c>): parallel branches look at the same
/// feature map with growing fields of view (a 1x1 convolution, one dilated 3x3 convolution per atrous rate, and the
/// image-level average), and a 1x1 projection fuses them.
/// </summary>
/// <remarks>
/// <para>State-dict keys (torchvision's): <c>convs.0.{0,1}</c> (1x1 convolution, BatchNorm), <c>convs.{1..r}.{0,1}</c>
/// (3x3 convolution dilated by each rate, BatchNorm), <c>convs.{r+1}.{1,2}</c> (the pooling branch: index 0 is the
/// parameter-free average pool), <c>project.{0,1}</c> (1x1 convolution over the concatenation, BatchNorm). Every
/// branch ends in ReLU; the projection ends in ReLU and dropout. With <c>separable</c>, each atrous branch is
/// segmentation_models_pytorch's depthwise-separable one instead: <c>convs.i.0.0</c> (depthwise 3x3),
/// <c>convs.i.0.1</c> (1x1), <c>convs.i.1</c> (BatchNorm).</para>
/// <para>The pooling branch averages each image to 1x1 and is broadcast back to the input's size, which is what
/// torchvision's bilinear resize of a 1x1 map computes. In training mode its BatchNorm normalises one value per image
/// and channel, so a batch needs at least two images (PyTorch refuses a single one the same way).</para>
/// </remarks>
public sealed class Aspp : FoldableModule
{
    /// <summary>torchvision's atrous rates for DeepLabV3 at output stride 8 (also segmentation_models_pytorch's default).</summary>
    public static IReadOnlyList<int> DefaultAtrousRates { get; } = new[] { 12, 24, 36 };

    private readonly ModuleList<Sequential> convs;
    private readonly Sequential project;
    // The first branch's convolution: its weight sets the dtype and device inputs must have.
    private readonly Conv2d firstConvolution;

    /// <summary>Creates the module with PyTorch's default initialisation.</summary>
    /// <param name="inChannels">Channels of the input feature map.</param>
    /// <param name="atrousRates">Dilation of each 3x3 branch; default 12, 24, 36.</param>
    /// <param name="outChannels">Channels of every branch and of the output (torchvision: 256).</param>
    /// <param name="separable">Depthwise-separable atrous branches, as segmentation_models_pytorch's DeepLabV3+ uses by default.</param>
    /// <param name="dropout">Dropout after the projection, active in training mode only (torchvision: 0.5).</param>
    /// <exception cref="ArgumentException">A channel count or rate is not positive, or <paramref name="dropout"/> is not in [0, 1).</exception>
    public Aspp(int inChannels, IReadOnlyList<int>? atrousRates = null, int outChannels = 256, bool separable = false, double dropout = 0.5)
        : base(nameof(Aspp))
    {
        Runtime.NativeRuntime.EnsureCpuChecked();
        Guard.Positive((inChannels, nameof(inChannels)), (outChannels, nameof(outChannels)));
        var rates = (atrousRates ?? DefaultAtrousRates).ToArray();
        foreach (int rate in rates)
            Guard.Positive(rate, nameof(atrousRates));
        Guard.Probability(dropout, nameof(dropout));

        InChannels = inChannels;
        OutChannels = outChannels;
        AtrousRates = rates;
        Separable = separable;
        Dropout = dropout;

        var branches = new List<Sequential> { ConvUnits.ConvBnRelu(inChannels, outChannels, 1) };
        branches.AddRange(rates.Select(rate => separable
            ? ConvUnits.SeparableBnRelu(inChannels, outChannels, 3, rate)
            : ConvUnits.ConvBnRelu(inChannels, outChannels, 3, rate)));
        branches.Add(nn.Sequential(
            nn.AdaptiveAvgPool2d(1),
            nn.Conv2d(inChannels, outChannels, 1, bias: false),
            nn.BatchNorm2d(outChannels),
            nn.ReLU(inplace: true)));
        convs = nn.ModuleList(branches.ToArray());
        project = nn.Sequential(
            nn.Conv2d(branches.Count * outChannels, outChannels, 1, bias: false),
            nn.BatchNorm2d(outChannels),
            nn.ReLU(inplace: true),
            nn.Dropout(dropout));
        firstConvolution = branches[0].modules().OfType<Conv2d>().First();
        register_module(nameof(convs), convs);
        register_module(nameof(project), project);
    }

    /// <summary>Channels of the input feature map.</summary>
    public int InChannels { get; }

    /// <summary>Channels of each branch and of the output.</summary>
    public int OutChannels { get; }

    /// <summary>Dilation of each 3x3 branch, in branch order.</summary>
    public IReadOnlyList<int> AtrousRates { get; }

    /// <summary>Whether the atrous branches are depthwise-separable.</summary>
    public bool Separable { get; }

    /// <summary>Dropout probability after the projection (training mode only).</summary>
    public double Dropout { get; }

    /// <summary>Runs every branch on <paramref name="input"/> and projects their concatenation.</summary>
    /// <param name="input">Features [N, <see cref="InChannels"/>, H, W].</param>
    /// <returns>Features [N, <see cref="OutChannels"/>, H, W].</returns>
    /// <exception cref="ArgumentException">The input's shape, dtype or device does not fit, or a training-mode batch has one image.</exception>
    public override Tensor forward(Tensor input)
    {
        Guard.Image(input, InChannels, nameof(Aspp), firstConvolution.weight);
        if (training && input.size(0) < 2)
            throw new ArgumentException(
                $"Aspp in training mode needs at least 2 images per batch, got {input.size(0)}: its pooling branch normalises one value " +
                "per image and channel with batch statistics, which one image cannot give. Train with larger batches, or call eval().",
                nameof(input));
        using var scope = NewDisposeScope();
        var branches = new Tensor[convs.Count];
        for (int i = 0; i < convs.Count - 1; i++)
            branches[i] = convs[i].CallOrPass(input);
        // A 1x1 map resized bilinearly (align_corners false) is that value everywhere: broadcast it instead.
        branches[^1] = convs[^1].CallOrPass(input).expand(-1, -1, input.size(2), input.size(3));
        return project.CallOrPass(cat(branches, 1)).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    private protected override GraphValue DescribeForward(ForwardGraph graph, GraphValue input)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var branches = new List<GraphValue>(convs.Count);
        for (int i = 0; i < convs.Count - 1; i++)
            branches.Add(graph.Call(convs[i], input));
        branches.Add(graph.Resize(graph.Call(convs[^1], input), input, ResizeMode.Bilinear, alignCorners: false));
        return graph.Call(project, graph.Concat(branches));
    }

    /// <summary>Registers nothing: the constructor registered every child under its reference key (TorchSharp's default would add each field again by its name).</summary>
    protected override void RegisterComponents()
    {
    }
}
