using System;
using TorchSharp;
using TorchSharp.Modules;
using ResNeStBlocks.Description;
using static TorchSharp.torch;

namespace ResNeStBlocks.Detection.Models;

/// <summary>The class scores and per-class box deltas of Faster R-CNN (torchvision's <c>FastRCNNPredictor</c>).
/// Keys: <c>cls_score.*</c>, <c>bbox_pred.*</c>.</summary>
public sealed class FastRcnnPredictor : nn.Module<Tensor, (Tensor Scores, Tensor Deltas)>
{
    private readonly Linear clsScore;
    private readonly Linear bboxPred;

    /// <summary>Creates the predictor (PyTorch's default linear initialisation).</summary>
    /// <param name="inChannels">Width of the box head.</param>
    /// <param name="numClasses">Classes, background included.</param>
    public FastRcnnPredictor(int inChannels, int numClasses) : base(nameof(FastRcnnPredictor))
    {
        Runtime.NativeRuntime.EnsureCpuChecked();
        Guard.Positive(inChannels, nameof(inChannels));
        Guard.Positive(numClasses, nameof(numClasses));
        NumClasses = numClasses;
        clsScore = nn.Linear(inChannels, numClasses);
        bboxPred = nn.Linear(inChannels, numClasses * 4);
        register_module("cls_score", clsScore);
        register_module("bbox_pred", bboxPred);
    }

    /// <summary>Classes, background included.</summary>
    public int NumClasses { get; }

    /// <summary>Class logits [K, classes] and deltas [K, 4 classes].</summary>
    /// <param name="input">[K, C] (or [K, C, 1, 1]) box features.</param>
    /// <returns>The logits and the deltas.</returns>
    public override (Tensor Scores, Tensor Deltas) forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        using var scope = NewDisposeScope();
        var x = input.flatten(1);
        return (clsScore.call(x).MoveToOuterDisposeScope(), bboxPred.call(x).MoveToOuterDisposeScope());
    }

    /// <summary>
    /// Describes the eval-mode forward for the module that applies it (inside
    /// <see cref="ForwardGraph.Within{T}(nn.Module, Func{T})"/> for this predictor).
    /// </summary>
    /// <param name="graph">The graph being built.</param>
    /// <param name="input">[K, C] box features.</param>
    /// <returns>Class logits [K, classes] and deltas [K, 4 classes].</returns>
    public (GraphValue Scores, GraphValue Deltas) DescribeOutputs(ForwardGraph graph, GraphValue input)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var x = graph.Flatten(input);
        return (graph.Linear(clsScore, x), graph.Linear(bboxPred, x));
    }

    /// <summary>Registers nothing: the constructor registered every child under torchvision's key.</summary>
    protected override void RegisterComponents()
    {
    }
}
