using System;
using ResNeStBlocks.Description;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNeStBlocks.Layers;

/// <summary>
/// DropBlock (Ghiasi et al., 2018; timm <c>DropBlock2d</c>, fast variant): in training, drops contiguous
/// square regions of each feature map and rescales what remains; the identity in eval mode.
/// </summary>
/// <remarks>The rescale factor stays on the device: no host synchronisation.</remarks>
public sealed class DropBlock : nn.Module<Tensor, Tensor>, IDescribedModule
{
    // Keeps the rescale finite when every activation is dropped (timm's 1e-6).
    private static readonly Scalar Epsilon = 1e-6;

    /// <summary>Creates the layer.</summary>
    /// <param name="rate">Target fraction of activations to drop, in [0, 1).</param>
    /// <param name="blockSize">Side of each dropped square; odd, at least 1.</param>
    /// <param name="gammaScale">Scales the seed probability (timm uses 0.25 in stage 3 and 1.0 in stage 4).</param>
    public DropBlock(double rate, int blockSize = 7, double gammaScale = 1.0) : base(nameof(DropBlock))
    {
        Runtime.NativeRuntime.EnsureCpuChecked();
        Guard.Probability(rate, nameof(rate));
        Guard.Positive(blockSize, nameof(blockSize));
        if (blockSize % 2 == 0)
            throw new ArgumentException($"blockSize must be odd, got {blockSize}.", nameof(blockSize));
        if (!(gammaScale > 0))
            throw new ArgumentOutOfRangeException(nameof(gammaScale), gammaScale, $"gammaScale must be positive, got {gammaScale}.");
        Rate = rate;
        BlockSize = blockSize;
        GammaScale = gammaScale;
    }

    /// <summary>Target fraction of activations to drop.</summary>
    public double Rate { get; }

    /// <summary>Side of each dropped square.</summary>
    public int BlockSize { get; }

    /// <summary>Seed probability scale.</summary>
    public double GammaScale { get; }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.dim() != 4)
            throw new ArgumentException($"DropBlock expects a 4-D input [batch, channels, height, width], got shape [{string.Join(", ", input.shape)}].", nameof(input));
        if (!training || Rate == 0)
            return input.alias();
        using var scope = NewDisposeScope();
        long height = input.shape[2], width = input.shape[3];
        long block = Math.Min(BlockSize, Math.Min(height, width));
        double gamma = GammaScale * Rate * height * width / (block * block)
            / Math.Max(1, (width - BlockSize + 1) * (height - BlockSize + 1));
        var seeds = empty_like(input).bernoulli_(Math.Min(1.0, gamma));
        // An even clipped block pads one extra row and column; crop back to the input's size.
        var dropped = nn.functional.max_pool2d(seeds, block, 1, block / 2).narrow(2, 0, height).narrow(3, 0, width);
        var keep = dropped.neg_().add_(HeldScalars.One, HeldScalars.One);
        using var count = ((double)keep.numel()).ToScalar();
        var scale = keep.sum(ScalarType.Float32).add_(Epsilon, HeldScalars.One).reciprocal_().mul_(count);
        return (input * keep * scale.to(input.dtype)).MoveToOuterDisposeScope();
    }

    /// <summary>The identity: DropBlock acts in training only.</summary>
    GraphValue IDescribedModule.Describe(ForwardGraph graph, GraphValue input) => input;
}
