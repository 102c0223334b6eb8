using System;
using System.Collections.Generic;
using TorchSharp;

namespace ResNeStBlocks.Description;

/// <summary>The order in which a module's description uses the modules below it: the order its forward runs them.</summary>
internal static class ForwardOrder
{
    /// <summary>Each module the description of <paramref name="module"/> names, with its position in the forward; null when something in it has no description.</summary>
    public static IReadOnlyDictionary<torch.nn.Module, int>? Of(torch.nn.Module module)
    {
        var recorder = new Recorder();
        try
        {
            recorder.Run(module);
        }
        catch (NotSupportedException)
        {
            return null;
        }
        return recorder.Positions;
    }

    private sealed class Recorder : StructureGraph
    {
        public Dictionary<torch.nn.Module, int> Positions { get; } = new(ReferenceEqualityComparer.Instance);

        public void Run(torch.nn.Module module) => Walk(module, Fresh());

        protected override void OnUse(torch.nn.Module module, string path) => Positions.TryAdd(module, Positions.Count);
    }
}
