using System;
using System.IO;
using System.Linq;
using ResNeStBlocks.Weights;
using ResNeStBlocks.Zoo;
using static TorchSharp.torch;

namespace ResNeStBlocks.Testing;

/// <summary>Weights the Hub stand-in serves, and the check that a model holds them.</summary>
public static class HubWeights
{
    /// <summary>A zoo model's timm-initialised weights with randomised BatchNorm statistics, saved as <c>{name}-{id}.safetensors</c>.</summary>
    public static byte[] ZooWeights(string name, int id, string directory)
    {
        using var model = ModelZoo.Create(name);
        RandomNorms.Randomize(model, id);
        string path = Path.Combine(directory, $"{name}-{id}.safetensors");
        model.SaveWeights(path);
        return File.ReadAllBytes(path);
    }

    /// <summary>Whether every tensor of <paramref name="weights"/> the module has (classifier of another size excluded) is bit-identical in it.</summary>
    public static bool StateEquals(nn.Module module, byte[] weights, bool exceptClassifier = false)
    {
        var expected = SafeTensors.Load(new MemoryStream(weights));
        try
        {
            var actual = module.state_dict();
            return expected.All(pair => exceptClassifier && pair.Key.StartsWith("fc.", StringComparison.Ordinal)
                || (actual.TryGetValue(pair.Key, out var tensor) && tensor.shape.SequenceEqual(pair.Value.shape) && tensor.allclose(pair.Value, rtol: 0, atol: 0)));
        }
        finally
        {
            foreach (var tensor in expected.Values)
                tensor.Dispose();
        }
    }
}
