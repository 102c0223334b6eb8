using System;
using static TorchSharp.torch;

namespace ResNeStBlocks.Detection.Models;

/// <summary>One image's detections, best first; dispose it (or its tensors) when done.</summary>
public sealed class Detections : IDisposable
{
    /// <summary>Pairs the tensors of one image's detections.</summary>
    /// <param name="boxes">[N, 4] boxes (x1, y1, x2, y2) in the image's pixels.</param>
    /// <param name="scores">[N] scores.</param>
    /// <param name="labels">[N] int64 class indices (0 is background and never appears).</param>
    /// <param name="masks">[N, 1, H, W] mask probabilities in the image's pixels (Mask R-CNN), or null.</param>
    public Detections(Tensor boxes, Tensor scores, Tensor labels, Tensor? masks = null)
    {
        Boxes = boxes ?? throw new ArgumentNullException(nameof(boxes));
        Scores = scores ?? throw new ArgumentNullException(nameof(scores));
        Labels = labels ?? throw new ArgumentNullException(nameof(labels));
        Masks = masks;
    }

    /// <summary>[N, 4] boxes (x1, y1, x2, y2) in the image's pixels.</summary>
    public Tensor Boxes { get; }

    /// <summary>[N] scores, descending.</summary>
    public Tensor Scores { get; }

    /// <summary>[N] int64 class indices.</summary>
    public Tensor Labels { get; }

    /// <summary>[N, 1, H, W] mask probabilities in the image's pixels (Mask R-CNN), or null for a family without masks.</summary>
    public Tensor? Masks { get; }

    /// <summary>Disposes the tensors.</summary>
    public void Dispose()
    {
        Boxes.Dispose();
        Scores.Dispose();
        Labels.Dispose();
        Masks?.Dispose();
    }

    internal Detections MoveToOuterDisposeScope()
    {
        Boxes.MoveToOuterDisposeScope();
        Scores.MoveToOuterDisposeScope();
        Labels.MoveToOuterDisposeScope();
        Masks?.MoveToOuterDisposeScope();
        return this;
    }
}
