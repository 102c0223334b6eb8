using System;
using static TorchSharp.torch;

namespace ResNeStBlocks.Dense;

/// <summary>
/// What a <see cref="SegmentationModel"/> predicts in training (torchvision's result dictionary): the main logits and,
/// when the model has one, the auxiliary classifier's, both at the input's resolution.
/// </summary>
/// <param name="Out">Main logits [N, classes, H, W] (torchvision's <c>"out"</c>).</param>
/// <param name="Aux">Auxiliary logits [N, classes, H, W] (torchvision's <c>"aux"</c>), or null without an auxiliary classifier.</param>
public sealed record SegmentationOutput(Tensor Out, Tensor? Aux) : IDisposable
{
    /// <summary>Disposes both tensors.</summary>
    public void Dispose()
    {
        Out.Dispose();
        Aux?.Dispose();
    }
}
