using System;
using System.Collections.Generic;
using System.Linq;
using ResNeStBlocks.Description;
using ResNeStBlocks.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ResNeStBlocks.Dense;

/// <summary>
/// Feature Pyramid Network (Lin et al., 2017; torchvision <c>ops.FeaturePyramidNetwork</c>): a 1x1 lateral
/// convolution brings each backbone map to one width, a top-down pathway adds each coarser level, upsampled (nearest)
/// to the lateral's size, and a 3x3 convolution smooths every sum. An optional <see cref="ExtraFpnBlock"/> appends
/// coarser levels.
/// </summary>
/// <remarks>
/// <para>Keys (torchvision's): <c>inner_blocks.{i}.0.*</c> (1x1 lateral convolutions), <c>layer_blocks.{i}.0.*</c>
/// (3x3 output convolutions), with BatchNorm at <c>.1</c> when <c>batchNorm</c> is set (the convolutions then have no
/// bias, as torchvision's <c>Conv2dNormActivation</c> builds them), and <c>extra_blocks.*</c>. Initialisation is
/// torchvision's: Kaiming-uniform with <c>a = 1</c>, zero biases.</para>
/// <para>Input: the maps in increasing depth (C2..C5, as <c>ResNet.ForwardStages</c> returns them), named "0", "1", ...
/// or, given a <see cref="FeatureMaps"/>, by its names. Output: one map per input with the same name, highest
/// resolution first, then the extra levels ("pool", or "p6" and "p7").</para>
/// <para>Its description (<see cref="Describe"/>) takes several inputs, so a graph reaches it through a module with one
/// image input: <see cref="BackboneWithFpn"/>, which exports to ONNX with one output per level.</para>
/// </remarks>
/// <example><code>var stages = backbone.ForwardStages(images);          // C2..C5
/// using var pyramid = fpn.call(stages);                // "0".."3" and "pool", each [N, 256, h, w]
/// var p3 = pyramid["1"];</code></example>
public sealed class FeaturePyramidNetwork : nn.Module<IReadOnlyList<Tensor>, FeatureMaps>
{
    private readonly ModuleList<Sequential> innerBlocks;
    private readonly ModuleList<Sequential> layerBlocks;
    private readonly ExtraFpnBlock? extraBlocks;
    // The lateral convolutions: their weights set the dtype and device of each input.
    private readonly Conv2d[] lateralConvolutions;
    // Names and message labels of a plain list's inputs, made once rather than on every forward.
    private readonly string[] numberedNames;
    private readonly string[] numberedLabels;

    /// <summary>Creates the pyramid with torchvision's initialisation.</summary>
    /// <param name="inChannelsList">Channels of each input map, in increasing depth (for a ResNet-50's four stages: 256, 512, 1024, 2048).</param>
    /// <param name="outChannels">Channels of every level (torchvision's detectors: 256).</param>
    /// <param name="extraBlocks">Levels to add above the top one: <see cref="LastLevelMaxPool"/>, <see cref="LastLevelP6P7"/>, or none.</param>
    /// <param name="batchNorm">BatchNorm after each convolution (torchvision's <c>norm_layer=nn.BatchNorm2d</c>, used by the v2 detectors).</param>
    /// <exception cref="ArgumentException">The list is empty, a count is not positive, or <paramref name="extraBlocks"/> does not fit the pyramid.</exception>
    public FeaturePyramidNetwork(IReadOnlyList<int> inChannelsList, int outChannels, ExtraFpnBlock? extraBlocks = null, bool batchNorm = false)
        : base(nameof(FeaturePyramidNetwork))
    {
        Runtime.NativeRuntime.EnsureCpuChecked();
        ArgumentNullException.ThrowIfNull(inChannelsList);
        if (inChannelsList.Count == 0)
            throw new ArgumentException("inChannelsList must name at least one input map.", nameof(inChannelsList));
        foreach (int channels in inChannelsList)
            Guard.Positive(channels, nameof(inChannelsList));
        Guard.Positive(outChannels, nameof(outChannels));
        extraBlocks?.CheckFits(inChannelsList, outChannels, nameof(extraBlocks));

        InChannels = inChannelsList.ToArray();
        OutChannels = outChannels;
        BatchNorm = batchNorm;
        innerBlocks = nn.ModuleList(InChannels.Select(channels => Unit(channels, outChannels, 1, batchNorm)).ToArray());
        layerBlocks = nn.ModuleList(InChannels.Select(_ => Unit(outChannels, outChannels, 3, batchNorm)).ToArray());
        this.extraBlocks = extraBlocks;
        lateralConvolutions = innerBlocks.Select(block => block.modules().OfType<Conv2d>().First()).ToArray();
        numberedNames = FeatureMaps.NumberedNames(InChannels.Count);
        numberedLabels = numberedNames.Select((name, i) => Label(i, name)).ToArray();
        using (no_grad())
        {
            foreach (var conv in innerBlocks.Concat(layerBlocks).SelectMany(block => block.modules()).OfType<Conv2d>())
            {
                nn.init.kaiming_uniform_(conv.weight!, a: 1);
                if (conv.bias is not null)
                    nn.init.zeros_(conv.bias);
            }
        }
        register_module("inner_blocks", innerBlocks);
        register_module("layer_blocks", layerBlocks);
        if (extraBlocks is not null)
            register_module("extra_blocks", extraBlocks);
    }

    /// <summary>Channels of each input map, in increasing depth.</summary>
    public IReadOnlyList<int> InChannels { get; }

    /// <summary>Channels of every level.</summary>
    public int OutChannels { get; }

    /// <summary>Whether each convolution is followed by BatchNorm.</summary>
    public bool BatchNorm { get; }

    /// <summary>The levels added above the top one, if any.</summary>
    public ExtraFpnBlock? ExtraBlocks => extraBlocks;

    /// <summary>Computes the pyramid.</summary>
    /// <param name="input">One map per entry of <see cref="InChannels"/>, in increasing depth, all with the same batch size:
    /// a <see cref="FeatureMaps"/> (its names are kept) or any list such as <c>ResNet.ForwardStages</c>'s (named "0", "1", ...).</param>
    /// <returns>The levels, named after the inputs, highest resolution first, then the extra levels.</returns>
    /// <exception cref="ArgumentException">The number of maps, a map's shape, dtype or device, or the batch sizes do not fit.</exception>
    public override FeatureMaps forward(IReadOnlyList<Tensor> input)
    {
        var names = CheckInput(input);
        using var scope = NewDisposeScope();
        int count = input.Count;
        var results = new Tensor[count];
        var lastInner = innerBlocks[count - 1].CallOrPass(input[count - 1]);
        results[count - 1] = layerBlocks[count - 1].CallOrPass(lastInner);
        for (int i = count - 2; i >= 0; i--)
        {
            var lateral = innerBlocks[i].CallOrPass(input[i]);
            var topDown = nn.functional.interpolate(lastInner, new[] { lateral.size(2), lateral.size(3) }, mode: InterpolationMode.Nearest);
            lastInner = lateral.add_(topDown, HeldScalars.One);
            results[i] = layerBlocks[i].CallOrPass(lastInner);
        }
        var pyramid = new FeatureMaps(names, results);
        if (extraBlocks is not null)
            pyramid = extraBlocks.Extend(pyramid, input);
        foreach (var level in pyramid)
            level.MoveToOuterDisposeScope();
        return pyramid;
    }

    /// <summary>
    /// Describes the eval-mode pyramid for the module that feeds it (its description calls this inside
    /// <see cref="ForwardGraph.Within{T}(torch.nn.Module, Func{T})"/> for this pyramid): the same lateral, top-down and
    /// output steps as <see cref="forward"/>, then the extra levels.
    /// </summary>
    /// <param name="graph">The graph being built.</param>
    /// <param name="inputs">One named map per entry of <see cref="InChannels"/>, in increasing depth.</param>
    /// <returns>The levels, named after the inputs, highest resolution first, then the extra levels.</returns>
    /// <exception cref="ArgumentException">The number of inputs differs from <see cref="InChannels"/>'s.</exception>
    public IReadOnlyList<NamedValue> Describe(ForwardGraph graph, IReadOnlyList<NamedValue> inputs)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.Count != InChannels.Count)
            throw new ArgumentException($"FeaturePyramidNetwork expects {InChannels.Count} feature maps, got {inputs.Count}.", nameof(inputs));
        int count = inputs.Count;
        var results = new GraphValue[count];
        var lastInner = graph.Call(innerBlocks[count - 1], inputs[count - 1].Value);
        results[count - 1] = graph.Call(layerBlocks[count - 1], lastInner);
        for (int i = count - 2; i >= 0; i--)
        {
            var lateral = graph.Call(innerBlocks[i], inputs[i].Value);
            lastInner = graph.Add(lateral, graph.Resize(lastInner, lateral, ResizeMode.Nearest, alignCorners: false));
            results[i] = graph.Call(layerBlocks[i], lastInner);
        }
        var levels = inputs.Select((input, i) => new NamedValue(input.Name, results[i])).ToList();
        if (extraBlocks is not null)
        {
            var maps = inputs.Select(input => input.Value).ToArray();
            levels.AddRange(graph.Within(extraBlocks, () => extraBlocks.DescribeExtend(graph, levels, maps)));
        }
        return levels;
    }

    private IReadOnlyList<string> CheckInput(IReadOnlyList<Tensor> input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Count != InChannels.Count)
            throw new ArgumentException(
                $"FeaturePyramidNetwork expects {InChannels.Count} feature maps (channels {string.Join(", ", InChannels)}), got {input.Count}.",
                nameof(input));
        var names = input is FeatureMaps named ? named.Names : numberedNames;
        for (int i = 0; i < input.Count; i++)
        {
            Guard.Image(input[i], InChannels[i], names == numberedNames ? numberedLabels[i] : Label(i, names[i]), lateralConvolutions[i].weight);
            if (input[i].size(0) != input[0].size(0))
                throw new ArgumentException(
                    $"FeaturePyramidNetwork inputs must share one batch size: input 0 ('{names[0]}') has {input[0].size(0)} images, " +
                    $"input {i} ('{names[i]}') has {input[i].size(0)}.", nameof(input));
        }
        return names;
    }

    private static string Label(int index, string name) => $"FeaturePyramidNetwork input {index} ('{name}')";

    /// <summary>torchvision's <c>Conv2dNormActivation</c> without activation: convolution (bias only without a norm), then BatchNorm.</summary>
    private static Sequential Unit(int inChannels, int outChannels, int kernelSize, bool batchNorm) =>
        batchNorm
            ? nn.Sequential(nn.Conv2d(inChannels, outChannels, kernelSize, padding: kernelSize / 2, bias: false), nn.BatchNorm2d(outChannels))
            : nn.Sequential(nn.Conv2d(inChannels, outChannels, kernelSize, padding: kernelSize / 2));

    /// <summary>Registers nothing: the constructor registered every child under its reference key (TorchSharp's default would add each field again by its name).</summary>
    protected override void RegisterComponents()
    {
    }
}
