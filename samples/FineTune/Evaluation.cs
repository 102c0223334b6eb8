using System;
using System.Linq;
using ResNeStBlocks.Backbones;
using ResNeStBlocks.Samples.Data;
using ResNeStBlocks.Vision;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNeStBlocks.Samples.FineTune;

/// <summary>Validation figures of one model.</summary>
/// <param name="Loss">Mean cross-entropy (without smoothing).</param>
/// <param name="Top1">Share of images whose class scored highest.</param>
/// <param name="Top5">Share whose class is among the five highest (among all when there are fewer than five classes).</param>
/// <param name="Confusion">Counts: <c>[true class, predicted class]</c>.</param>
public sealed record EvaluationResult(double Loss, double Top1, double Top5, long[,] Confusion);

/// <summary>Evaluates a classifier over a loader, in eval mode without gradients.</summary>
public static class Evaluation
{
    // The alpha of plain sums, held: TorchSharp 0.107's add_(other) would pass a temporary Scalar 1 itself.
    private static readonly Scalar One = 1;

    /// <summary>Runs <paramref name="model"/> over every batch of <paramref name="loader"/>.</summary>
    /// <param name="model">The classifier.</param>
    /// <param name="loader">An unshuffled loader with the eval transform.</param>
    /// <param name="classes">Number of classes.</param>
    /// <param name="device">Where the model lives.</param>
    /// <returns>Loss, top-1, top-5 and the confusion matrix.</returns>
    public static EvaluationResult Run(ResNet model, BatchLoader<LabelledImage> loader, int classes, Device device)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(loader);
        bool wasTraining = model.training;
        model.eval();
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        int k = Math.Min(5, classes);
        var lossSum = zeros(1, ScalarType.Float64, device);
        var top5 = zeros(1, ScalarType.Int64, device);
        var confusion = zeros(new long[] { classes * classes }, ScalarType.Int64, device);
        long count = 0;
        // Sums stay on the device; the host reads them once, after the last batch.
        foreach (var batch in loader.Epoch(1))
        {
            using var owned = batch;
            using var step = NewDisposeScope();
            var images = batch.Inputs.to(device);
            var labels = batch.Targets.to(device);
            var logits = model.call(images);
            lossSum.add_(nn.functional.cross_entropy(logits, labels, reduction: nn.Reduction.Sum).to(ScalarType.Float64), One);
            top5.add_(logits.topk(k).indexes.eq(labels.unsqueeze(1)).any(1).sum(), One);
            using var classCount = ((long)classes).ToScalar();
            var cells = labels.mul(classCount).add_(logits.argmax(1), One);   // row = true class, column = prediction
            confusion.index_add_(0, cells, ones(batch.Count, ScalarType.Int64, device), One);
            count += batch.Count;
        }
        if (wasTraining)
            model.train();
        var counts = confusion.cpu().data<long>().ToArray();
        var matrix = new long[classes, classes];
        long correct = 0;
        for (int t = 0; t < classes; t++)
        {
            for (int p = 0; p < classes; p++)
                matrix[t, p] = counts[t * classes + p];
            correct += matrix[t, t];
        }
        double n = Math.Max(1, count);
        return new EvaluationResult(lossSum.cpu().item<double>() / n, correct / n, top5.cpu().item<long>() / n, matrix);
    }
}
