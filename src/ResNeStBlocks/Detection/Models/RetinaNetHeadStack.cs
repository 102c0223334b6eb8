using System.Collections.Generic;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ResNeStBlocks.Detection.Models;

/// <summary>
/// The four 3x3 convolutions (each with ReLU, and GroupNorm(32) in v2) that both RetinaNet heads run before their
/// predictor, torchvision's <c>Conv2dNormActivation</c> stack: keys <c>{i}.0.weight</c> and <c>{i}.0.bias</c>, or with
/// GroupNorm <c>{i}.0.weight</c> (no bias) and <c>{i}.1.weight</c>, <c>{i}.1.bias</c>. Weights normal with standard
/// deviation 0.01, biases zero, as torchvision initialises them.
/// </summary>
internal static class RetinaNetHeadStack
{
    public static Sequential Create(int channels, bool groupNorm)
    {
        var blocks = new List<nn.Module<Tensor, Tensor>>();
        for (int i = 0; i < 4; i++)
        {
            var conv = nn.Conv2d(channels, channels, 3, padding: 1, bias: !groupNorm);
            using (no_grad())
            {
                nn.init.normal_(conv.weight!, std: 0.01);
                if (conv.bias is not null)
                    nn.init.zeros_(conv.bias);
            }
            if (!groupNorm)
            {
                blocks.Add(nn.Sequential(conv, nn.ReLU()));
                continue;
            }
            blocks.Add(nn.Sequential(conv, HeadGroupNorm.Create(channels), nn.ReLU()));
        }
        return nn.Sequential(blocks.ToArray());
    }

}
