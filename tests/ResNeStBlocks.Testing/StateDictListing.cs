using System.Collections.Generic;
using System.Linq;
using TorchSharp;

namespace ResNeStBlocks.Testing;

public static class StateDictListing
{
    /// <summary>"key [shape]" for every state-dict entry of <paramref name="module"/>, in its order.</summary>
    public static IReadOnlyList<string> Of(torch.nn.Module module) =>
        module.state_dict().Select(kv => $"{kv.Key} {TensorAssert.Shape(kv.Value.shape)}").ToList();

    /// <summary>Parameters (not buffers), as torchvision counts them.</summary>
    public static long Parameters(torch.nn.Module module) => module.parameters().Sum(p => p.numel());
}
