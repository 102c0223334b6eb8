using System;
using ResNeStBlocks.Inference;
using ResNeStBlocks.Layers;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNeStBlocks.Blocks;

/// <summary>
/// What every residual block shares: the shortcut (<c>downsample</c>), stochastic depth on the branch,
/// the final add and ReLU, input checks, and the eval-only state after BatchNorm folding. A block supplies
/// its residual branch.
/// </summary>
public abstract class ResidualBlock : nn.Module<Tensor, Tensor>, IResidualBlock, IFoldableNorm
{
    private protected nn.Module<Tensor, Tensor>? downsample;
    private protected DropPath? drop_path;
    private bool normsFolded;

    private protected ResidualBlock(string name, int inPlanes, int planes, int expansion, BlockExtras extras) : base(name)
    {
        Guard.Positive(inPlanes, nameof(inPlanes));
        Guard.Positive(planes, nameof(planes));
        extras.Validate();
        InChannels = inPlanes;
        OutChannels = planes * expansion;
        downsample = extras.Downsample;
        drop_path = extras.CreateDropPath();
    }

    /// <inheritdoc />
    public int InChannels { get; }

    /// <inheritdoc />
    public int OutChannels { get; }

    /// <inheritdoc />
    public abstract void ZeroInitLastNorm();

    bool IFoldableNorm.NormsFolded => normsFolded;

    int IFoldableNorm.FoldBatchNorm()
    {
        normsFolded = true;
        return FoldBranchNorms() + BatchNormFolding.FoldSequential(this, ref downsample, nameof(downsample));
    }

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">Training is requested after the BatchNorms were folded.</exception>
    public override void train(bool on = true)
    {
        BatchNormFolding.EnsureTrainable(normsFolded, on, this);
        base.train(on);
    }

    /// <summary>Runs the residual branch, then adds the (projected) input and applies ReLU.</summary>
    /// <param name="input">Features [N, <see cref="InChannels"/>, H, W].</param>
    /// <returns>Features [N, <see cref="OutChannels"/>, H / stride, W / stride].</returns>
    public sealed override Tensor forward(Tensor input)
    {
        Guard.Image(input, InChannels, GetType().Name);
        using var scope = NewDisposeScope();
        var branch = Branch(input);
        if (drop_path is not null) branch = drop_path.call(branch);
        var shortcut = downsample is null ? input : downsample.call(input);
        return branch.add_(shortcut).relu_().MoveToOuterDisposeScope();
    }

    /// <summary>The residual branch, before stochastic depth and the shortcut.</summary>
    private protected abstract Tensor Branch(Tensor input);

    /// <summary>Folds the branch's own conv/BatchNorm pairs (pairs inside child layers fold themselves).</summary>
    private protected virtual int FoldBranchNorms() => 0;
}
