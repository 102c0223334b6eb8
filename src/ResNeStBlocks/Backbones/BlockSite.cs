using System.Collections.Generic;
using ResNeStBlocks.Blocks;
using ResNeStBlocks.Layers;

namespace ResNeStBlocks.Backbones;

/// <summary>
/// One block's position in a <see cref="ResNet"/>, computed from the configuration alone (timm's
/// <c>make_blocks</c>): its channels, its placement and whether it needs a shortcut projection.
/// </summary>
internal sealed record BlockSite(int Stage, int InPlanes, int Planes, int OutChannels, int NetStride, BlockPlacement Placement)
{
    /// <summary>Whether the block changes stride or channels, so its shortcut must project.</summary>
    public bool NeedsShortcut => Placement.Stride != 1 || InPlanes != OutChannels;

    /// <summary>
    /// Every block of <paramref name="config"/> in order: stage strides become dilations once the network
    /// reaches the output stride; stochastic depth grows linearly to the last block; DropBlock in stages 3 and 4.
    /// </summary>
    public static IReadOnlyList<BlockSite> Plan(ResNetConfig config, int stemChannels)
    {
        var sites = new List<BlockSite>(config.TotalBlocks);
        int inPlanes = stemChannels, netStride = 4, dilation = 1, previousDilation = 1;
        for (int s = 0; s < config.Layers.Count; s++)
        {
            int planes = config.Channels[s];
            int stride = s == 0 ? 1 : 2;
            if (netStride >= config.OutputStride)
            {
                dilation *= stride;
                stride = 1;
            }
            else
            {
                netStride *= stride;
            }
            int outChannels = planes * config.Block.Expansion;
            for (int b = 0; b < config.Layers[s]; b++)
            {
                int index = sites.Count;
                double dropPath = config.TotalBlocks > 1 ? config.DropPathRate * index / (config.TotalBlocks - 1) : 0;
                var placement = new BlockPlacement(b == 0 ? stride : 1, null, dilation, previousDilation, dropPath, DropBlockFor(config.DropBlockRate, s));
                sites.Add(new BlockSite(s, inPlanes, planes, outChannels, netStride, placement));
                previousDilation = dilation;
                inPlanes = outChannels;
            }
        }
        return sites;
    }

    private static System.Func<DropBlock>? DropBlockFor(double rate, int stage) => (rate, stage) switch
    {
        ( > 0, 2) => () => new DropBlock(rate, 5, 0.25),
        ( > 0, 3) => () => new DropBlock(rate, 3, 1.0),
        _ => null,
    };
}
