using System;
using TorchSharp;
using TorchSharp.Modules;
using ResNeStBlocks.Description;
using static TorchSharp.torch;

namespace ResNeStBlocks.Detection.Models;

/// <summary>The box head of Faster R-CNN (torchvision's <c>TwoMLPHead</c>): flatten, then two fully connected layers with ReLU.
/// Keys: <c>fc6.*</c>, <c>fc7.*</c>.</summary>
public sealed class TwoMlpHead : nn.Module<Tensor, Tensor>, IDescribedModule
{
    private readonly Linear fc6;
    private readonly Linear fc7;

    /// <summary>Creates the head (PyTorch's default linear initialisation).</summary>
    /// <param name="inChannels">Flattened size of a pooled box (256 x 7 x 7).</param>
    /// <param name="representationSize">Width of both layers (1024).</param>
    public TwoMlpHead(int inChannels, int representationSize) : base(nameof(TwoMlpHead))
    {
        Runtime.NativeRuntime.EnsureCpuChecked();
        Guard.Positive(inChannels, nameof(inChannels));
        Guard.Positive(representationSize, nameof(representationSize));
        fc6 = nn.Linear(inChannels, representationSize);
        fc7 = nn.Linear(representationSize, representationSize);
        register_module("fc6", fc6);
        register_module("fc7", fc7);
    }

    /// <summary>Applies the head.</summary>
    /// <param name="input">[K, C, h, w] pooled boxes.</param>
    /// <returns>[K, representation].</returns>
    public override Tensor forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        using var scope = NewDisposeScope();
        var x = nn.functional.relu(fc6.call(input.flatten(1)));
        return nn.functional.relu(fc7.call(x)).MoveToOuterDisposeScope();
    }

    /// <summary>Describes the eval-mode forward: flatten, fc6, ReLU, fc7, ReLU.</summary>
    /// <param name="graph">The graph being built.</param>
    /// <param name="input">[K, C, h, w] pooled boxes.</param>
    /// <returns>[K, representation].</returns>
    public GraphValue Describe(ForwardGraph graph, GraphValue input)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var x = graph.Relu(graph.Linear(fc6, graph.Flatten(input)));
        return graph.Relu(graph.Linear(fc7, x));
    }

    /// <summary>Registers nothing: the constructor registered every child under torchvision's key.</summary>
    protected override void RegisterComponents()
    {
    }
}
