using System;
using System.Collections.Generic;
using System.Linq;
using ResNeStBlocks.Description;
using ResNeStBlocks.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ResNeStBlocks.Blocks;

/// <summary>
/// The Res2Net bottleneck (Gao et al., 2019; timm <c>Bottle2neck</c>): the 1x1-reduced features are cut
/// into <c>scale</c> splits of <c>width</c> channels; each of the first <c>scale - 1</c> splits goes through
/// its own 3x3 convolution after adding the previous split's output (hierarchical residual), the last
/// split passes through; the splits are concatenated and expanded to <c>planes * 4</c>.
/// The first block of a stage ("stage" form: strided or with a shortcut projection) has no hierarchical
/// adds and average-pools the last split (3x3, padding counted) to match the stride.
/// State-dict keys: <c>conv1</c>, <c>bn1</c>, <c>convs.{i}</c>, <c>bns.{i}</c>, <c>conv3</c>, <c>bn3</c>, <c>se.*</c>, <c>downsample.*</c>.
/// </summary>
public sealed class Res2NetBottleneck : ResidualBlock
{
    private readonly Conv2d conv1;
    private BatchNorm2d? bn1;
    private readonly ModuleList<Conv2d> convs;
    private ModuleList<BatchNorm2d>? bns;
    private readonly AvgPool2d? pool;
    private readonly Conv2d conv3;
    private BatchNorm2d? bn3;
    private readonly int width;
    private readonly int scale;

    /// <summary>Creates a Res2Net bottleneck.</summary>
    /// <param name="inPlanes">Input channels.</param>
    /// <param name="planes">Bottleneck planes; the output has <c>planes * 4</c> channels.</param>
    /// <param name="spec">Cardinality, base width, scale and attention; <c>null</c> for timm's <c>res2net50_26w_4s</c> block.</param>
    /// <param name="placement">Stride, shortcut, dilation and regularisation; <c>null</c> for <see cref="BlockPlacement.Default"/>.</param>
    /// <exception cref="ArgumentException">A setting is invalid; nothing was allocated.</exception>
    public Res2NetBottleneck(int inPlanes, int planes, Res2NetSpec? spec = null, BlockPlacement? placement = null)
        : base(nameof(Res2NetBottleneck), inPlanes, planes, spec ??= new(), placement ??= BlockPlacement.Default)
    {
        width = ChannelMath.GroupWidth(planes, spec.BaseWidth, spec.Cardinality);
        scale = spec.Scale;
        int numScales = Math.Max(1, scale - 1);
        int dilation = placement.EffectiveFirstDilation;
        int stride = placement.Stride;
        IsStageForm = stride > 1 || placement.Downsample is not null;

        conv1 = nn.Conv2d(inPlanes, width * scale, 1, bias: false);
        bn1 = nn.BatchNorm2d(width * scale);
        convs = nn.ModuleList(Enumerable.Range(0, numScales).Select(_ =>
            nn.Conv2d(width, width, 3, stride: stride, padding: dilation, dilation: dilation, groups: spec.Cardinality, bias: false)).ToArray());
        bns = nn.ModuleList(Enumerable.Range(0, numScales).Select(_ => nn.BatchNorm2d(width)).ToArray());
        // Only a pass-through split (scale > 1) is pooled.
        pool = IsStageForm && scale > 1 ? nn.AvgPool2d(3, stride, 1) : null;
        conv3 = nn.Conv2d(width * scale, OutChannels, 1, bias: false);
        bn3 = nn.BatchNorm2d(OutChannels);
        CompleteConstruction();
    }

    /// <summary>Whether this is the first block of a stage (no hierarchical adds, pooled last split).</summary>
    public bool IsStageForm { get; }

    private protected override BatchNorm2d? LastNorm => bn3;

    private protected override GraphValue DescribeBranch(ForwardGraph graph, GraphValue input)
    {
        var reduced = graph.Convolution(conv1, input, bn1, Activation.Relu);
        var splits = scale == 1 ? new[] { reduced } : graph.Split(reduced, scale);
        var outputs = new List<GraphValue>(scale);
        GraphValue? previous = null;
        for (int i = 0; i < convs.Count; i++)
        {
            var split = IsStageForm || previous is null ? splits[i] : graph.Add(previous.Value, splits[i]);
            previous = graph.Convolution(convs[i], split, bns?[i], Activation.Relu);
            outputs.Add(previous.Value);
        }
        if (scale > 1)
            outputs.Add(pool is null ? splits[^1] : graph.Call(pool, splits[^1]));
        return graph.Convolution(conv3, outputs.Count == 1 ? outputs[0] : graph.Concat(outputs), bn3);
    }

    private protected override Tensor Branch(Tensor input)
    {
        var reduced = bn1.CallOrPass(conv1.call(input)).relu_();
        var splits = reduced.split(width, 1);
        var outputs = new List<Tensor>(scale);
        Tensor? previous = null;
        // The hierarchical chain: split i sees split i-1's output, so it cannot be one grouped convolution.
        for (int i = 0; i < convs.Count; i++)
        {
            var split = IsStageForm || previous is null ? splits[i] : previous.add(splits[i], HeldScalars.One);
            var convolved = convs[i].call(split);
            previous = (bns is null ? convolved : bns[i].CallOrPass(convolved)).relu_();
            outputs.Add(previous);
        }
        if (scale > 1)
            outputs.Add(pool is null ? splits[^1] : pool.call(splits[^1]));
        return bn3.CallOrPass(conv3.call(cat(outputs, 1)));
    }
}
