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
            layers.Add(conv);
            layers.Add(HeadGroupNorm.Create(channels));
            layers.Add(nn.ReLU());
        }
        return nn.Sequential(layers.ToArray());
    }

}
