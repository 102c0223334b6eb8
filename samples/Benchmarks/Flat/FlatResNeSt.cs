using System;
using System.Collections.Generic;
using System.Linq;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace ResNeStBlocks.Benchmarks.Flat;

/// <summary>
/// A ResNeSt-D network (deep stem, average-pool shortcuts, radix-major Split-Attention, avd after the
/// 3x3 convolution) written as one flat forward over a model's own state-dict tensors: functional calls
/// only, no modules, one dispose scope per block. It is the baseline that shows what the library's
/// module structure costs. Strides, widths, radix and cardinality are read off the tensor shapes.
/// </summary>
public sealed class FlatResNeSt
{
    private const double Eps = 1e-5, Momentum = 0.1;
    private static readonly long[] One = { 1, 1 }, Two = { 2, 2 }, Zero = { 0, 0 }, Three = { 3, 3 }, HW = { 2, 3 };

    // The alpha of the residual sum, held: TorchSharp 0.107's add_(other) would pass a temporary Scalar 1 itself.
    private static readonly TorchSharp.Scalar AddAlpha = 1;

    private readonly Dictionary<string, Tensor> p;
    private readonly List<FlatBlock> blocks = new();

    /// <param name="stateDict">The model's state dict; its tensors are used in place (training updates them).</param>
    public FlatResNeSt(Dictionary<string, Tensor> stateDict)
    {
        p = stateDict;
        for (int layer = 1; p.ContainsKey($"layer{layer}.0.conv1.weight"); layer++)
            for (int b = 0; p.ContainsKey($"layer{layer}.{b}.conv1.weight"); b++)
                blocks.Add(new FlatBlock(p, $"layer{layer}.{b}.", layer > 1 && b == 0 ? 2 : 1));
    }

    /// <summary>Logits for <paramref name="x"/>; <paramref name="training"/> uses batch statistics and updates running ones.</summary>
    public Tensor Forward(Tensor x, bool training)
    {
        using var scope = NewDisposeScope();
        x = (Bn(F.conv2d(x, p["conv1.0.weight"], null, Two, One), "conv1.1.", training)).relu_();
        x = (Bn(F.conv2d(x, p["conv1.3.weight"], null, One, One), "conv1.4.", training)).relu_();
        x = (Bn(F.conv2d(x, p["conv1.6.weight"], null, One, One), "bn1.", training)).relu_();
        x = F.max_pool2d(x, Three, Two, One);
        foreach (var blk in blocks)
        {
            // Release each block's temporaries as soon as it is done (what a hand-written loop would do; the
            // library does the same with a scope per module). Keeping them all costs gigabytes at batch 8.
            using var blockScope = NewDisposeScope();
            var k = blk.Prefix;
            var y = (Bn(F.conv2d(x, p[k + "conv1.weight"]), k + "bn1.", training)).relu_();
            y = (Bn(F.conv2d(y, p[k + "conv2.conv.weight"], null, One, One, One, blk.Radix * blk.Groups), k + "conv2.bn0.", training)).relu_();
            long n = y.shape[0], h = y.shape[2], w = y.shape[3];
            var splits = y.view(n, blk.Radix, blk.Width, h, w);
            var pooled = splits.mean(new long[] { 3, 4 }).sum(1).view(n, blk.Width, 1, 1);
            var a = (Bn(F.conv2d(pooled, p[k + "conv2.fc1.weight"], p[k + "conv2.fc1.bias"], groups: blk.Groups), k + "conv2.bn1.", training)).relu_();
            a = F.conv2d(a, p[k + "conv2.fc2.weight"], p[k + "conv2.fc2.bias"], groups: blk.Groups);
            var att = a.view(n, blk.Groups, blk.Radix, blk.Width / blk.Groups).softmax(2).transpose(1, 2).reshape(n, blk.Radix, blk.Width, 1, 1);
            y = blk.Radix == 2
                ? splits.select(1, 1).lerp(splits.select(1, 0), att.select(1, 0))
                : (splits * att).sum(1);
            if (blk.Stride > 1)
                y = F.avg_pool2d(y, Three, Two, One);
            y = Bn(F.conv2d(y, p[k + "conv3.weight"]), k + "bn3.", training);
            var shortcut = x;
            if (p.TryGetValue(k + "downsample.1.weight", out var down))
            {
                if (blk.Stride > 1)
                    shortcut = F.avg_pool2d(shortcut, Two, Two, Zero, ceil_mode: true, count_include_pad: false);
                shortcut = Bn(F.conv2d(shortcut, down), k + "downsample.2.", training);
            }
            x = y.add_(shortcut, AddAlpha).relu_().MoveToOuterDisposeScope();
        }
        return F.linear(x.mean(HW), p["fc.weight"], p["fc.bias"]).MoveToOuterDisposeScope();
    }

    private Tensor Bn(Tensor x, string k, bool training) =>
        F.batch_norm(x, p[k + "running_mean"], p[k + "running_var"], p[k + "weight"], p[k + "bias"], training, Momentum, Eps);

    private sealed record FlatBlock(string Prefix, int Stride, int Width, int Radix, int Groups)
    {
        public FlatBlock(Dictionary<string, Tensor> p, string prefix, int stride)
            : this(prefix, stride, (int)p[prefix + "conv1.weight"].shape[0],
                (int)(p[prefix + "conv2.fc2.weight"].shape[0] / p[prefix + "conv1.weight"].shape[0]),
                (int)(p[prefix + "conv1.weight"].shape[0] / p[prefix + "conv2.fc1.weight"].shape[1]))
        {
        }
    }
}
