using System;
using System.Collections.Generic;
using System.Linq;
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
    /// <summary>
    /// Folds <paramref name="norm"/> into <paramref name="conv"/>, unregisters it from <paramref name="owner"/>
    /// under <paramref name="name"/>, disposes it and clears the field. Does nothing when the field is already null.
    /// </summary>
    /// <returns>1 when a BatchNorm was folded, 0 otherwise.</returns>
    public static int Fold(nn.Module owner, Conv2d conv, ref BatchNorm2d? norm, string name)
    {
        if (norm is null)
            return 0;
        FoldInto(conv, norm);
        owner.register_module(name, null!);
        norm.Dispose();
        norm = null;
        return 1;
    }

    /// <summary>
    /// Folds every (Conv2d, BatchNorm2d) neighbour pair of a shortcut or stem <see cref="Sequential"/> and
    /// registers, under <paramref name="name"/>, a new Sequential with the same child names minus the folded
    /// BatchNorms (so <c>downsample.1.weight</c> stays <c>downsample.1.weight</c> and gains <c>downsample.1.bias</c>).
    /// Modules other than Sequential are left alone.
    /// </summary>
    /// <returns>The number of BatchNorm layers folded.</returns>
    public static int FoldSequential<TModule>(nn.Module owner, ref TModule module, string name) where TModule : nn.Module<Tensor, Tensor>?
    {
        if (module is not Sequential sequence)
            return 0;
        var children = sequence.named_children().ToList();
        var kept = new List<(string, nn.Module<Tensor, Tensor>)>(children.Count);
        var folded = new List<nn.Module>();
        for (int i = 0; i < children.Count; i++)
        {
            var (childName, child) = children[i];
            if (child is BatchNorm2d norm && i > 0 && children[i - 1].module is Conv2d conv)
            {
                FoldInto(conv, norm);
                folded.Add(norm);
                continue;
            }
            kept.Add((childName, (nn.Module<Tensor, Tensor>)child));
        }
        if (folded.Count == 0)
            return 0;
        var replacement = nn.Sequential(kept.ToArray());
        owner.register_module(name, null!);
        owner.register_module(name, replacement);
        // The old Sequential is dropped, not disposed: disposing it would dispose the children it shares.
        module = (TModule)(nn.Module<Tensor, Tensor>)replacement;
        foreach (var norm in folded)
            norm.Dispose();
        return folded.Count;
    }

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
