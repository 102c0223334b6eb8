using System;
using System.Collections.Generic;
using System.Linq;
using static TorchSharp.torch;

namespace ResNeStBlocks.Vision;

/// <summary>Applies transforms in order, disposing the intermediate samples.</summary>
public sealed class Compose : IPairedTransform
{
    /// <summary>Chains <paramref name="transforms"/>.</summary>
    /// <param name="transforms">Applied first to last.</param>
    public Compose(params IPairedTransform[] transforms)
    {
        ArgumentNullException.ThrowIfNull(transforms);
        if (transforms.Any(t => t is null))
            throw new ArgumentException($"Expected transforms, got null at position {Array.IndexOf(transforms, null)}.", nameof(transforms));
        Transforms = transforms.ToArray();
    }

    /// <summary>The transforms, first to last.</summary>
    public IReadOnlyList<IPairedTransform> Transforms { get; }

    /// <inheritdoc />
    public PairedSample Apply(PairedSample sample, Random random)
    {
        ArgumentNullException.ThrowIfNull(sample);
        ArgumentNullException.ThrowIfNull(random);
        var current = sample;
        foreach (var transform in Transforms)
        {
            var next = transform.Apply(current, random);
            if (!ReferenceEquals(current, sample))
                current.Dispose();
            current = next;
        }
        return ReferenceEquals(current, sample) ? PairedSample.Alias(sample) : current;
    }
}
