using System;
using System.Collections.Generic;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace ResNeStBlocks.Benchmarks.Kernels;

/// <summary>
/// Candidate op sequences for what follows Selective Kernel's branch convolutions (pool, attention,
/// softmax across branches, weighted sum), for two branches of [N, C, H, W] each.
/// </summary>
public sealed class SelectiveKernelTails : IDisposable
{
    // Held for the process: a temporary Scalar can be finalized during the native call that reads it (TorchSharp 0.107).
    private static readonly Scalar WeightScale = 0.1, One = 1;

    private readonly int channels;
    private readonly Tensor reduceWeight, selectWeight;

    public SelectiveKernelTails(int channels, int attentionChannels)
    {
        this.channels = channels;
        reduceWeight = randn(attentionChannels, channels, 1, 1).mul_(WeightScale).requires_grad_();
        selectWeight = randn(channels * 2, attentionChannels, 1, 1).mul_(WeightScale).requires_grad_();
    }

    /// <summary>The variants, by name: the sequence the library used before first.</summary>
    public IReadOnlyList<(string Name, Func<Tensor, Tensor, Tensor> Tail)> Variants => new (string, Func<Tensor, Tensor, Tensor>)[]
    {
        ("stack+mul+sum (before)", (b0, b1) =>
        {
            var branches = stack(new[] { b0, b1 }, 1);
            var weights = Weights(branches.mean(new long[] { 3, 4 }, keepdim: true).sum(1));
            return (branches * weights).sum(1);
        }),
        ("means+lerp (after)", (b0, b1) =>
        {
            var pooled = b0.mean(new long[] { 2, 3 }, keepdim: true).add_(b1.mean(new long[] { 2, 3 }, keepdim: true), One);
            return b1.lerp(b0, Weights(pooled).select(1, 0));
        }),
    };

    private Tensor Weights(Tensor pooled)
    {
        var logits = F.conv2d(F.conv2d(pooled, reduceWeight).relu_(), selectWeight);
        return logits.view(logits.shape[0], 2, channels, 1, 1).softmax(1);
    }

    public void Dispose()
    {
        reduceWeight.Dispose();
        selectWeight.Dispose();
    }
}
