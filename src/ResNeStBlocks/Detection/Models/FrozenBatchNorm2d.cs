using System;
using TorchSharp;
using ResNeStBlocks.Description;
using static TorchSharp.torch;

namespace ResNeStBlocks.Detection.Models;

/// <summary>
/// BatchNorm with fixed statistics and affine terms (torchvision's <c>ops.misc.FrozenBatchNorm2d</c>), the norm of the
/// ResNet bodies in torchvision's COCO detectors: <c>x * scale + shift</c> with <c>scale = weight / sqrt(running_var + eps)</c>
/// and <c>shift = bias - running_mean * scale</c>.
/// </summary>
/// <remarks>
/// Keys: <c>weight</c>, <c>bias</c>, <c>running_mean</c>, <c>running_var</c>, all buffers (nothing trains, no
/// <c>num_batches_tracked</c>), initialised to 1, 0, 0 and 1 as torchvision does.
/// </remarks>
public sealed class FrozenBatchNorm2d : nn.Module<Tensor, Tensor>, IDescribedModule
{
    private readonly Scalar epsilon;

    /// <summary>Creates the norm with torchvision's initial buffers.</summary>
    /// <param name="numFeatures">Channels.</param>
    /// <param name="eps">Added to the variance (torchvision 0.14: 1e-5).</param>
    /// <exception cref="ArgumentOutOfRangeException">A count is not positive, or eps is negative or not a number.</exception>
    public FrozenBatchNorm2d(int numFeatures, double eps = 1e-5) : base(nameof(FrozenBatchNorm2d))
    {
        Runtime.NativeRuntime.EnsureCpuChecked();
        Guard.Positive(numFeatures, nameof(numFeatures));
        if (!(eps >= 0))
            throw new ArgumentOutOfRangeException(nameof(eps), eps, "eps must be 0 or more.");
        NumFeatures = numFeatures;
        Eps = eps;
        epsilon = eps.ToScalar();
        register_buffer("weight", ones(numFeatures));
        register_buffer("bias", zeros(numFeatures));
        register_buffer("running_mean", zeros(numFeatures));
        register_buffer("running_var", ones(numFeatures));
    }

    /// <summary>Channels.</summary>
    public int NumFeatures { get; }

    /// <summary>Added to the variance.</summary>
    public double Eps { get; }

    /// <summary>Applies the frozen affine map channel by channel.</summary>
    /// <param name="input">[N, C, H, W] with the norm's channels, dtype and device.</param>
    /// <returns>The normalised input.</returns>
    public override Tensor forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.dim() != 4 || input.size(1) != NumFeatures)
            throw new ArgumentException($"{nameof(FrozenBatchNorm2d)} expects [N, {NumFeatures}, H, W], got [{string.Join(", ", input.shape)}].", nameof(input));
        using var scope = NewDisposeScope();
        // The buffers are read through the module so that to(dtype/device) and loaded weights are what is used.
        var scale = get_buffer("weight")!.mul(get_buffer("running_var")!.add(epsilon, HeldScalars.One).rsqrt());
        var shift = get_buffer("bias")!.sub(get_buffer("running_mean")!.mul(scale));
        return input.mul(scale.reshape(1, -1, 1, 1)).add(shift.reshape(1, -1, 1, 1), HeldScalars.One).MoveToOuterDisposeScope();
    }

    /// <summary>Describes the eval-mode forward: the same scale and shift, computed from the buffers as <see cref="forward"/> computes them.</summary>
    /// <param name="graph">The graph being built.</param>
    /// <param name="input">[N, C, H, W].</param>
    /// <returns>The normalised input.</returns>
    public GraphValue Describe(ForwardGraph graph, GraphValue input)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var root = graph.Div(graph.Constant(1.0), graph.Sqrt(graph.Add(graph.Buffer("running_var"), graph.Constant(Eps))));
        var scale = graph.Mul(graph.Buffer("weight"), root);
        var shift = graph.Sub(graph.Buffer("bias"), graph.Mul(graph.Buffer("running_mean"), scale));
        return graph.Add(graph.Mul(input, graph.Reshape(scale, 1, -1, 1, 1)), graph.Reshape(shift, 1, -1, 1, 1));
    }

    /// <summary>Releases the held scalar with the module.</summary>
    /// <param name="disposing">Whether managed resources are released.</param>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
            epsilon.Dispose();
        base.Dispose(disposing);
    }

    /// <summary>Registers nothing: the constructor registered the buffers under torchvision's keys.</summary>
    protected override void RegisterComponents()
    {
    }
}
