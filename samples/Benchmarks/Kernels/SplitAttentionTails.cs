using System;
using System.Collections.Generic;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace ResNeStBlocks.Benchmarks.Kernels;

/// <summary>
/// Candidate op sequences for what follows Split-Attention's grouped convolution (pool, attention,
/// radix softmax, weighted sum of the splits), written functionally so that they can be compared side by
/// side at one shape. Each returns the block's output for activations <c>x</c> = [N, radix * C, H, W].
/// </summary>
public sealed class SplitAttentionTails : IDisposable
{
    // Held for the process: a temporary Scalar can be finalized during the native call that reads it (TorchSharp 0.107).
    private static readonly Scalar WeightScale = 0.1, One = 1;

    private readonly int radix, channels;
    private readonly Tensor fc1Weight, fc1Bias, fc2Weight, fc2Bias;

    public SplitAttentionTails(int channels, int radix, int attentionChannels)
    {
        this.radix = radix;
        this.channels = channels;
        fc1Weight = randn(attentionChannels, channels, 1, 1).mul_(WeightScale).requires_grad_();
        fc1Bias = zeros(attentionChannels).requires_grad_();
        fc2Weight = randn(channels * radix, attentionChannels, 1, 1).mul_(WeightScale).requires_grad_();
        fc2Bias = zeros(channels * radix).requires_grad_();
    }

    /// <summary>The variants, by name: the current library sequence first.</summary>
    public IReadOnlyList<(string Name, Func<Tensor[], Tensor> Tail)> Variants
    {
        get
        {
            var variants = new List<(string, Func<Tensor[], Tensor>)>
            {
                (radix == 2 ? "mul+sum (before)" : "mul+sum (kept)", t => { var (s, w) = SplitsAndWeights(t[0]); return (s * w).sum(1); }),
                ("mul+addcmul_", t =>
                {
                    var (s, w) = SplitsAndWeights(t[0]);
                    var y = s.select(1, 0).mul(w.select(1, 0));
                    for (int r = 1; r < radix; r++)
                        y = y.addcmul_(s.select(1, r), w.select(1, r), One);
                    return y;
                }),
            };
            if (radix == 2)
                variants.Add(("lerp (after)", t =>
                {
                    var (s, w) = SplitsAndWeights(t[0]);
                    return s.select(1, 1).lerp(s.select(1, 0), w.select(1, 0));
                }));
            return variants;
        }
    }

    private (Tensor Splits, Tensor Weights) SplitsAndWeights(Tensor x)
    {
        long n = x.shape[0], h = x.shape[2], w = x.shape[3];
        var splits = x.view(n, radix, channels, h, w);
        var pooled = splits.mean(new long[] { 3, 4 }).sum(1).view(n, channels, 1, 1);
        var logits = F.conv2d(F.conv2d(pooled, fc1Weight, fc1Bias).relu_(), fc2Weight, fc2Bias);
        var weights = logits.view(n, 1, radix, channels).softmax(2).transpose(1, 2).reshape(n, radix, channels, 1, 1);
        return (splits, weights);
    }

    public void Dispose()
    {
        fc1Weight.Dispose();
        fc1Bias.Dispose();
        fc2Weight.Dispose();
        fc2Bias.Dispose();
    }
}
