using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using ResNeStBlocks.Weights;
using static TorchSharp.torch;

namespace ResNeStBlocks.Zoo;

/// <summary>
/// Names the <see cref="ModelZoo"/> model a state dict was made for, so that a load of another
/// architecture's weights can say which model they belong to.
/// </summary>
/// <remarks>
/// Reading keys needs a built model, and building every zoo model would cost seconds and gigabytes (the meta
/// device would avoid the allocations, but only through TorchSharp's default device, a process-wide setting that
/// tensors created meanwhile on other threads would pick up). So the candidate is found by arithmetic first: the
/// parameter count without the classifier, known for every zoo model from timm and distinct across the zoo, against
/// the state dict's. Only a model whose count agrees is built (once per process, then cached) to compare keys and
/// shapes exactly: at most one build per failed load, its memory freed at once.
/// </remarks>
internal static class ZooModelMatcher
{
    private static readonly ConcurrentDictionary<string, IReadOnlyDictionary<string, long[]>> ZooShapes = new(StringComparer.Ordinal);

    // BatchNorm statistics: state-dict entries that timm's parameter counts leave out.
    private static readonly string[] BufferSuffixes = { ".running_mean", ".running_var", ".num_batches_tracked" };

    /// <summary>The zoo model whose keys and shapes <paramref name="shapes"/> has exactly, the classifier's class count aside; null when none.</summary>
    /// <param name="shapes">Key to shape of the state dict.</param>
    /// <returns>A name from <see cref="ModelZoo.Names"/>, or null.</returns>
    public static string? Find(IReadOnlyDictionary<string, long[]> shapes)
    {
        long parameters = shapes.Where(kv => !ClassifierKeys.Contains(kv.Key) && !IsBuffer(kv.Key)).Sum(kv => Elements(kv.Value));
        foreach (string name in ModelZoo.Names)
        {
            if (ParametersWithoutClassifier(name) != parameters)
                continue;
            if (SameArchitecture(ZooShapes.GetOrAdd(name, Build), shapes))
                return name;
        }
        return null;
    }

    private static long ParametersWithoutClassifier(string name)
    {
        var config = ModelZoo.Config(name);
        long features = (long)config.Channels[^1] * config.Block.Expansion;
        return ModelZoo.TimmParameterCount(name) - (long)config.NumClasses * (features + 1);
    }

    private static IReadOnlyDictionary<string, long[]> Build(string name)
    {
        using var scope = NewDisposeScope();
        using var model = ModelZoo.Create(name);
        return model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.shape, StringComparer.Ordinal);
    }

    private static bool SameArchitecture(IReadOnlyDictionary<string, long[]> zoo, IReadOnlyDictionary<string, long[]> candidate)
    {
        int zooBody = 0;
        foreach (var (key, shape) in zoo)
        {
            if (ClassifierKeys.Contains(key))
                continue;
            zooBody++;
            if (!candidate.TryGetValue(key, out var other) || !other.SequenceEqual(shape))
                return false;
        }
        int candidateBody = 0;
        foreach (var (key, shape) in candidate)
        {
            if (!ClassifierKeys.Contains(key)) { candidateBody++; continue; }
            // Any class count fits: a fine-tuned file of this architecture is still this architecture.
            if (!zoo.TryGetValue(key, out var zooShape) || zooShape.Length != shape.Length || !zooShape.Skip(1).SequenceEqual(shape.Skip(1)))
                return false;
        }
        return zooBody == candidateBody;
    }

    private static bool IsBuffer(string key) => BufferSuffixes.Any(suffix => key.EndsWith(suffix, StringComparison.Ordinal));

    private static long Elements(long[] shape) => shape.Aggregate(1L, (product, dim) => product * dim);
}
