using ResNeStBlocks.Description;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNeStBlocks.Layers;

/// <summary>
/// Stochastic depth (Huang et al., 2016; timm <c>DropPath</c>): in training, zeroes a residual branch for
/// a random subset of samples and rescales the rest by <c>1 / (1 - rate)</c>; the identity in eval mode.
/// </summary>
public sealed class DropPath : nn.Module<Tensor, Tensor>, IDescribedModule
{
    /// <summary>Creates the layer.</summary>
    /// <param name="rate">Probability of dropping a sample's branch, in [0, 1).</param>
    public DropPath(double rate) : base(nameof(DropPath))
    {
        Runtime.NativeRuntime.EnsureCpuChecked();
        Guard.Probability(rate, nameof(rate));
        Rate = rate;
    }

    /// <summary>Probability of dropping a sample's branch.</summary>
    public double Rate { get; }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        if (!training || Rate == 0)
            return input.alias();
        using var scope = NewDisposeScope();
        double keep = 1 - Rate;
        var shape = new long[input.dim()];
        shape[0] = input.shape[0];
        for (int i = 1; i < shape.Length; i++) shape[i] = 1;
        using var keepScalar = keep.ToScalar();
        var mask = empty(shape, input.dtype, input.device).bernoulli_(keep).div_(keepScalar);
        return (input * mask).MoveToOuterDisposeScope();
    }

    /// <summary>The identity: stochastic depth acts in training only.</summary>
    GraphValue IDescribedModule.Describe(ForwardGraph graph, GraphValue input) => input;
}
