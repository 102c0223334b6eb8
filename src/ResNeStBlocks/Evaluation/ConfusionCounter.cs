using System;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNeStBlocks.Evaluation;

/// <summary>
/// Counts (true class, predicted class) pixel pairs on the model's device, without reading anything back until
/// <see cref="Read"/>: pixels whose target is the ignore index land in a spare bin that is never read.
/// <see cref="SegmentationScores.From"/> turns the counts into pixel accuracy and IoUs.
/// </summary>
public sealed class ConfusionCounter : IDisposable
{
    private static readonly Scalar One = 1;
    private readonly Scalar ignore;
    private readonly Tensor counts;
    private readonly int classes;

    /// <summary>Creates an empty counter.</summary>
    /// <param name="classes">Number of classes, at least 1.</param>
    /// <param name="device">Where predictions and targets live.</param>
    /// <param name="ignoreIndex">The target value of pixels that count for nothing (Pascal VOC's 255).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> is below 1.</exception>
    public ConfusionCounter(int classes, Device device, long ignoreIndex = 255)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (classes < 1)
            throw new ArgumentOutOfRangeException(nameof(classes), classes, $"Expected at least 1 class, got {classes}.");
        this.classes = classes;
        IgnoreIndex = ignoreIndex;
        ignore = ignoreIndex;
        counts = zeros(new long[] { (long)classes * classes + 1 }, ScalarType.Int64, device);
    }

    /// <summary>The target value that is not counted.</summary>
    public long IgnoreIndex { get; }

    /// <summary>Adds a batch.</summary>
    /// <param name="predicted">Predicted class per pixel, int64 <c>[N, H, W]</c>.</param>
    /// <param name="target">True class per pixel (or the ignore index), int64 <c>[N, H, W]</c>.</param>
    public void Add(Tensor predicted, Tensor target)
    {
        ArgumentNullException.ThrowIfNull(predicted);
        ArgumentNullException.ThrowIfNull(target);
        using var scope = NewDisposeScope();
        using Scalar classCount = (long)classes, spare = (long)classes * classes;
        var cells = target.mul(classCount).add_(predicted, One).masked_fill_(target.eq(ignore), spare).flatten();
        counts.index_add_(0, cells, ones_like(cells), One);
    }

    /// <summary>The counts so far (one read from the device).</summary>
    /// <returns>Pixel counts <c>[true, predicted]</c>.</returns>
    public long[,] Read()
    {
        using var scope = NewDisposeScope();
        var flat = counts.cpu().data<long>().ToArray();
        var matrix = new long[classes, classes];
        for (int t = 0; t < classes; t++)
        {
            for (int p = 0; p < classes; p++)
                matrix[t, p] = flat[t * classes + p];
        }
        return matrix;
    }

    /// <summary>The counts and the held ignore value.</summary>
    public void Dispose()
    {
        counts.Dispose();
        ignore.Dispose();
    }
}
