using System.Collections.Generic;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ResNeStBlocks.Detection.Models;

/// <summary>
/// The tower both FCOS heads start with (torchvision's <c>conv</c> of <c>FCOSClassificationHead</c> and
/// <c>FCOSRegressionHead</c>): four times a 3x3 convolution, GroupNorm with 32 groups and ReLU; keys
/// <c>{0,3,6,9}.*</c> (convolutions, normal with standard deviation 0.01, zero biases) and <c>{1,4,7,10}.*</c> (norms,
/// weights 1 and biases 0).
/// </summary>
internal static class FcosHeadTower
{
    public const int Convolutions = 4;

    public static Sequential Create(int channels)
    {
        var layers = new List<nn.Module<Tensor, Tensor>>();
        for (int i = 0; i < Convolutions; i++)
        {
            var conv = nn.Conv2d(channels, channels, 3, padding: 1);
            using (no_grad())
            {
                nn.init.normal_(conv.weight!, std: 0.01);
                nn.init.zeros_(conv.bias!);
            }
            // TorchSharp 0.107's GroupNorm leaves its affine parameters uninitialised; PyTorch's start at 1 and 0.
            var norm = nn.GroupNorm(32, channels);
            using (no_grad())
            {
                nn.init.ones_(norm.weight!);
                nn.init.zeros_(norm.bias!);
            }
            layers.Add(conv);
            layers.Add(norm);
            layers.Add(nn.ReLU());
        }
        return nn.Sequential(layers.ToArray());
    }

    /// <summary>[N, A * K, H, W] to [N, H * W * A, K], torchvision's order.</summary>
    public static Tensor Flatten(Tensor map, int channels)
    {
        long n = map.size(0), h = map.size(2), w = map.size(3);
        return map.view(n, -1, channels, h, w).permute(0, 3, 4, 1, 2).reshape(n, -1, channels);
    }
}
