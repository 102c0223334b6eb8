using System;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ResNeStBlocks.Layers;

/// <summary>
/// The arithmetic and bookkeeping of folding an eval-mode BatchNorm into the convolution before it:
/// with <c>s = gamma / sqrt(running_var + eps)</c>, the convolution's weight becomes <c>w * s</c> (per output
/// channel) and its bias <c>beta + (b - running_mean) * s</c> (<c>b = 0</c> for a bias-free convolution).
/// </summary>
internal static class BatchNormFolding
{
    /// <summary>Rewrites <paramref name="conv"/>'s weight and bias so that it computes <c>norm(conv(x))</c> in eval mode.</summary>
    /// <exception cref="InvalidOperationException">The BatchNorm keeps no running statistics.</exception>
    public static void FoldInto(Conv2d conv, BatchNorm2d norm)
    {
        var weight = conv.weight ?? throw new InvalidOperationException("The convolution has no weight.");
        Tensor bias;
        using (no_grad())
        using (var scope = NewDisposeScope())
        {
            // The folded parameters are rounded once, to the convolution's dtype.
            var (foldedWeight, foldedBias) = FoldedParameters(conv, norm);
            weight.copy_(foldedWeight);
            bias = foldedBias.to(weight.dtype).MoveToOuterDisposeScope();
        }
        if (conv.bias is not null)
        {
            using (no_grad())
                conv.bias.copy_(bias);
            bias.Dispose();
        }
        else
        {
            conv.bias = new Parameter(bias, weight.requires_grad);
        }
    }

    /// <summary>
    /// The weight and bias of one convolution that computes <c>norm(conv(x))</c> in eval mode, in float64, leaving both
    /// modules unchanged (the ONNX exporter writes them without touching the user's model).
    /// </summary>
    /// <returns>New float64 tensors the caller owns: weight shaped like the convolution's, bias [out channels].</returns>
    /// <exception cref="InvalidOperationException">The BatchNorm keeps no running statistics.</exception>
    public static (Tensor Weight, Tensor Bias) FoldedParameters(Conv2d conv, BatchNorm2d norm)
    {
        var mean = norm.running_mean;
        var variance = norm.running_var;
        if (mean is null || variance is null)
            throw new InvalidOperationException("A BatchNorm without running statistics (track_running_stats = false) cannot be folded.");
        var weight = conv.weight ?? throw new InvalidOperationException("The convolution has no weight.");
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        // Float64 arithmetic, so that whoever stores the result rounds once. The epsilon is an explicit Scalar held
        // until the call returns: TorchSharp 0.107 can finalize an implicit temporary Scalar while libtorch still
        // reads it ("Unknown scalar type"), which exporting a whole model's convolutions in a row made visible.
        using var epsilon = norm.eps.ToScalar();
        var scale = variance.to(ScalarType.Float64).add(epsilon, HeldScalars.One).rsqrt();
        if (norm.weight is not null)
            scale = scale * norm.weight.to(ScalarType.Float64);
        var shift = conv.bias is null ? -mean.to(ScalarType.Float64) : conv.bias.to(ScalarType.Float64) - mean.to(ScalarType.Float64);
        shift = shift * scale;
        if (norm.bias is not null)
            shift = shift.add(norm.bias.to(ScalarType.Float64), HeldScalars.One);
        var foldedWeight = weight.to(ScalarType.Float64) * scale.view(-1, 1, 1, 1);
        return (foldedWeight.MoveToOuterDisposeScope(), shift.MoveToOuterDisposeScope());
    }
}
