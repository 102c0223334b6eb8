using System;
using System.Linq;
using ResNeStBlocks.Description;
using ResNeStBlocks.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ResNeStBlocks.Blocks;

/// <summary>
/// What every residual block shares: construction from its <see cref="BlockSpec"/> and
/// <see cref="BlockPlacement"/> (with every check made before any tensor exists), the channel attention on
/// the branch output (<c>se</c>), DropBlock, stochastic depth, the shortcut (<c>downsample</c>), the final add
/// and ReLU, input checks and BatchNorm folding. A block supplies its residual branch.
/// </summary>
public abstract class ResidualBlock : FoldableModule
{
    // Registered by name (timm's keys), so they are visible to the derived block's RegisterComponents().
    private protected readonly DropBlock? drop_block;
    private protected nn.Module<Tensor, Tensor>? se;
    private protected nn.Module<Tensor, Tensor>? downsample;
    private protected readonly DropPath? drop_path;
    private readonly AttentionFactory? attention;
    // Private, so the derived block's RegisterComponents() does not register this second reference to a child.
    private Conv2d? firstConvolution;

    private protected ResidualBlock(string name, int inPlanes, int planes, BlockSpec spec, BlockPlacement placement) : base(name)
    {
        spec.Validate(inPlanes, planes, placement);
        int outChannels = planes * spec.Expansion;
        if (placement.Downsample is null && (placement.Stride != 1 || inPlanes != outChannels))
            throw MissingShortcut(name, inPlanes, outChannels, placement.Stride);
        if (placement.Downsample is { } shortcut)
            CheckShortcut(name, shortcut, inPlanes, outChannels, placement.Stride);
        InChannels = inPlanes;
        OutChannels = outChannels;
        Placement = placement;
        downsample = placement.Downsample;
        drop_path = placement.DropPathRate > 0 ? new DropPath(placement.DropPathRate) : null;
        drop_block = spec.DropBlockInBranch ? placement.DropBlock?.Invoke() : null;
        attention = spec.BranchAttention;
    }

    /// <summary>Channels the block expects.</summary>
    public int InChannels { get; }

    /// <summary>Channels the block produces (<c>planes * expansion</c>).</summary>
    public int OutChannels { get; }

    /// <summary>Stride, shortcut, dilation and regularisation chosen for this block.</summary>
    private protected BlockPlacement Placement { get; }

    /// <summary>The last BatchNorm of the residual branch, or <c>null</c> once folded.</summary>
    private protected abstract BatchNorm2d? LastNorm { get; }

    /// <summary>
    /// Sets the scale (weight) of the last BatchNorm in the residual branch to zero, so that the block
    /// starts as the identity (Goyal et al., 2017; timm <c>zero_init_last</c>).
    /// </summary>
    /// <exception cref="InvalidOperationException">The block's BatchNorms have been folded for inference.</exception>
    public void ZeroInitLastNorm()
    {
        var norm = LastNorm ?? throw new InvalidOperationException(
            "The block's last BatchNorm has been folded into its convolution; zero-init applies before folding only.");
        using var _ = no_grad();
        norm.weight!.zero_();
    }

    /// <summary>Runs the residual branch, then adds the (projected) input and applies ReLU.</summary>
    /// <param name="input">Features [N, <see cref="InChannels"/>, H, W].</param>
    /// <returns>Features [N, <see cref="OutChannels"/>, H / stride, W / stride].</returns>
    public sealed override Tensor forward(Tensor input)
    {
        Guard.Image(input, InChannels, GetType().Name, firstConvolution?.weight);
        using var scope = NewDisposeScope();
        var branch = se.CallOrPass(Branch(input));
        if (drop_path is not null) branch = drop_path.call(branch);
        var shortcut = downsample.CallOrPass(input);
        return branch.add_(shortcut, HeldScalars.One).relu_().MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Creates the branch attention and registers the children; a block calls it last, after allocating its
    /// branch, so that a failing branch leaves nothing allocated.
    /// </summary>
    private protected void CompleteConstruction()
    {
        se = attention?.Invoke(OutChannels);
        RegisterComponents();
        firstConvolution = modules().OfType<Conv2d>().FirstOrDefault();
    }

    /// <summary>The residual branch, before the attention, stochastic depth and the shortcut.</summary>
    private protected abstract Tensor Branch(Tensor input);

    /// <summary>The eval-mode forward: the branch, its attention, stochastic depth, the shortcut, the sum and ReLU.</summary>
    private protected sealed override GraphValue DescribeForward(ForwardGraph graph, GraphValue input)
    {
        var branch = DescribeBranch(graph, input);
        if (se is not null)
            branch = graph.Call(se, branch);
        if (drop_path is not null)
            branch = graph.Call(drop_path, branch);
        var shortcut = downsample is null ? input : graph.Call(downsample, input);
        return graph.Relu(graph.Add(branch, shortcut));
    }

    /// <summary>Describes the residual branch, as <see cref="Branch"/> computes it in eval mode.</summary>
    private protected abstract GraphValue DescribeBranch(ForwardGraph graph, GraphValue input);

    /// <summary>A convolution, its BatchNorm, the block's DropBlock (if any) and ReLU: the 3x3 stage of the plain blocks.</summary>
    private protected GraphValue DescribeRegularisedStage(ForwardGraph graph, Conv2d conv, BatchNorm2d? norm, GraphValue input)
    {
        var x = graph.Convolution(conv, input, norm);
        if (drop_block is not null) x = graph.Call(drop_block, x);
        return graph.Relu(x);
    }

    /// <summary>A shortcut's convolution must take the block's input and make its output; libtorch would fail only at the sum.</summary>
    private static void CheckShortcut(string block, nn.Module<Tensor, Tensor> shortcut, int inPlanes, int outChannels, int stride)
    {
        var convolution = shortcut.modules().Prepend(shortcut).OfType<Conv2d>().FirstOrDefault();
        if (convolution?.weight is not { } weight)
            return;
        long takes = weight.shape[1] * convolution.groups, makes = weight.shape[0];
        if (takes == inPlanes && makes == outChannels)
            return;
        string stridden = stride == 1 ? "" : $", stride: {stride}";
        throw new ArgumentException(
            $"{block} takes {inPlanes} channels and makes {outChannels}, but its shortcut (placement.Downsample) takes {takes} and makes {makes}; " +
            $"pass Downsample.Convolution({inPlanes}, {outChannels}{stridden}) (or Downsample.Average({inPlanes}, {outChannels}{stridden}) for a ResNet-D shortcut).",
            "placement");
    }

    private static ArgumentException MissingShortcut(string block, int inPlanes, int outChannels, int stride)
    {
        string stridden = stride == 1 ? "" : $", stride: {stride}";
        string what = stride == 1 ? $"changes {inPlanes} channels to {outChannels}" : $"has stride {stride}";
        string placement = stride == 1 ? "new BlockPlacement(Downsample: " : $"new BlockPlacement(Stride: {stride}, Downsample: ";
        return new ArgumentException(
            $"{block} {what}, but no shortcut projection matches its input to its output; pass " +
            $"{placement}Downsample.Convolution({inPlanes}, {outChannels}{stridden})) " +
            $"(or Downsample.Average({inPlanes}, {outChannels}{stridden}) for a ResNet-D shortcut).",
            "placement");
    }
}
