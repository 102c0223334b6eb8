using System;
using System.Collections.Generic;
using ResNeStBlocks.Description;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ResNeStBlocks.Dense;

/// <summary>
/// RetinaNet's extra levels (Lin et al., 2017; torchvision <c>LastLevelP6P7</c>): P6 is a stride-2 3x3 convolution of
/// the top level, P7 a stride-2 3x3 convolution of ReLU(P6); both are appended as "p6" and "p7".
/// </summary>
/// <remarks>
/// torchvision's rule picks the source: when <c>inChannels == outChannels</c> P6 reads the pyramid's top level P5
/// (<see cref="UsesP5"/>; torchvision's RetinaNet v1 and FCOS), otherwise the backbone's last map C5 (the paper's choice
/// and RetinaNet v2's, which then must have <c>inChannels</c> channels). Keys: <c>p6.weight</c>, <c>p6.bias</c>, <c>p7.weight</c>,
/// <c>p7.bias</c> (under <c>extra_blocks.</c> in the pyramid). Initialisation is torchvision's: Kaiming-uniform with
/// <c>a = 1</c>, zero biases.
/// </remarks>
public sealed class LastLevelP6P7 : ExtraFpnBlock, IDescribedOutputs
{
    private readonly Conv2d p6;
    private readonly Conv2d p7;

    /// <summary>Creates the block with torchvision's initialisation.</summary>
    /// <param name="inChannels">Channels of what P6 reads: the pyramid's width (P5) or the backbone's last map (C5).</param>
    /// <param name="outChannels">Channels of P6 and P7 (the pyramid's width).</param>
    /// <exception cref="ArgumentException">A count is not positive.</exception>
    public LastLevelP6P7(int inChannels, int outChannels) : base(nameof(LastLevelP6P7))
    {
        Guard.Positive((inChannels, nameof(inChannels)), (outChannels, nameof(outChannels)));
        InChannels = inChannels;
        OutChannels = outChannels;
        p6 = nn.Conv2d(inChannels, outChannels, 3, stride: 2, padding: 1);
        p7 = nn.Conv2d(outChannels, outChannels, 3, stride: 2, padding: 1);
        using (no_grad())
        {
            foreach (var conv in new[] { p6, p7 })
            {
                nn.init.kaiming_uniform_(conv.weight!, a: 1);
                nn.init.zeros_(conv.bias!);
            }
        }
        RegisterComponents();
    }

    /// <summary>Channels of what P6 reads.</summary>
    public int InChannels { get; }

    /// <summary>Channels of P6 and P7.</summary>
    public int OutChannels { get; }

    /// <summary>Whether P6 reads the pyramid's top level P5 (true when <see cref="InChannels"/> equals <see cref="OutChannels"/>) rather than C5.</summary>
    public bool UsesP5 => InChannels == OutChannels;

    /// <inheritdoc />
    public override FeatureMaps Extend(FeatureMaps pyramid, IReadOnlyList<Tensor> inputs)
    {
        ArgumentNullException.ThrowIfNull(pyramid);
        ArgumentNullException.ThrowIfNull(inputs);
        var source = UsesP5 ? pyramid[pyramid.Count - 1] : inputs[^1];
        var level6 = p6.call(source);
        var level7 = p7.call(nn.functional.relu(level6));
        return pyramid.Append(("p6", level6), ("p7", level7));
    }

    /// <inheritdoc />
    public override IReadOnlyList<NamedValue> DescribeExtend(ForwardGraph graph, IReadOnlyList<NamedValue> pyramid, IReadOnlyList<GraphValue> inputs)
    {
        ArgumentNullException.ThrowIfNull(pyramid);
        ArgumentNullException.ThrowIfNull(inputs);
        return DescribeOutputs(graph, UsesP5 ? pyramid[^1].Value : inputs[^1]);
    }

    /// <summary>Describes P6 and P7 from what P6 reads (P5 or C5, see <see cref="UsesP5"/>).</summary>
    /// <param name="graph">The graph being built.</param>
    /// <param name="input">P5 or C5.</param>
    /// <returns>"p6" and "p7".</returns>
    public IReadOnlyList<NamedValue> DescribeOutputs(ForwardGraph graph, GraphValue input)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var level6 = graph.Convolution(p6, input);
        return new[] { new NamedValue("p6", level6), new NamedValue("p7", graph.Convolution(p7, graph.Relu(level6))) };
    }

    /// <inheritdoc />
    protected internal override void CheckFits(IReadOnlyList<int> inChannelsList, int outChannels, string parameter)
    {
        if (UsesP5 && InChannels != outChannels)
            throw new ArgumentException(
                $"LastLevelP6P7({InChannels}, {OutChannels}) reads P5, which has the pyramid's {outChannels} channels; " +
                $"create it as LastLevelP6P7({outChannels}, {outChannels}).", parameter);
        if (!UsesP5 && InChannels != inChannelsList[^1])
            throw new ArgumentException(
                $"LastLevelP6P7({InChannels}, {OutChannels}) reads C5, which has {inChannelsList[^1]} channels; create it as " +
                $"LastLevelP6P7({inChannelsList[^1]}, {outChannels}) (C5), or LastLevelP6P7({outChannels}, {outChannels}) to read P5.",
                parameter);
    }
}
