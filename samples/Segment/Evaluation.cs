using System;
using System.Collections.Generic;
using ResNeStBlocks.Dense;
using ResNeStBlocks.Evaluation;
using ResNeStBlocks.Samples.Data;
using ResNeStBlocks.Vision;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNeStBlocks.Samples.Segment;

/// <summary>Validation figures of one model.</summary>
/// <param name="Loss">Mean cross-entropy of the main output over the counted (not ignored) pixels.</param>
/// <param name="Scores">Pixel accuracy, per-class and mean IoU.</param>
public sealed record EvaluationResult(double Loss, SegmentationScores Scores);

/// <summary>Reads image and mask pairs into batches on worker threads.</summary>
public static class PairBatches
{
    /// <summary>A loader over <paramref name="pairs"/>; masks smaller than their batch's largest are padded with the ignore index.</summary>
    /// <param name="pairs">Images and masks.</param>
    /// <param name="transform">Turns an RGB uint8 image <c>[H, W, 3]</c> and its uint8 mask <c>[H, W]</c> into the network input and the int64 target.</param>
    /// <param name="batchSize">Pairs per batch.</param>
    /// <param name="shuffle">Shuffle each epoch and drop the last partial batch (training), or keep the order and every pair (evaluation).</param>
    /// <param name="seed">Seed of the order and the augmentation.</param>
    /// <param name="workers">Threads that decode and transform.</param>
    /// <returns>The loader.</returns>
    public static BatchLoader<SegmentationPair> Create(IReadOnlyList<SegmentationPair> pairs, Func<Tensor, Tensor, Random, Example> transform,
        int batchSize, bool shuffle, int seed, int workers)
    {
        ArgumentNullException.ThrowIfNull(transform);
        return new BatchLoader<SegmentationPair>(pairs, (pair, random) => transform(DecodedImage.LoadRgb(pair.Image), LoadMask(pair.Mask), random),
            batchSize, shuffle, seed, workers, targetPadding: SegmentationFolder.IgnoreIndex);
    }

    /// <summary>A mask file as a uint8 tensor <c>[H, W]</c> of class indices.</summary>
    /// <param name="path">A palette or greyscale PNG.</param>
    /// <returns>The tensor; the caller owns it.</returns>
    public static Tensor LoadMask(string path)
    {
        var mask = MaskPng.Read(path);
        return tensor(mask.Indices, new long[] { mask.Height, mask.Width }, ScalarType.Byte);
    }
}

/// <summary>Evaluates a segmentation model over a loader, in eval mode without gradients.</summary>
public static class Evaluation
{
    private static readonly Scalar One = 1, Ignore = (long)SegmentationFolder.IgnoreIndex;

    /// <summary>Runs <paramref name="model"/> over every batch of <paramref name="loader"/>.</summary>
    /// <param name="model">The model.</param>
    /// <param name="loader">An unshuffled loader with the evaluation transform.</param>
    /// <param name="classes">Number of classes.</param>
    /// <param name="device">Where the model lives.</param>
    /// <returns>Loss and scores.</returns>
    public static EvaluationResult Run(SegmentationModel model, BatchLoader<SegmentationPair> loader, int classes, Device device)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(loader);
        bool wasTraining = model.training;
        model.eval();
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        using var counter = new ConfusionCounter(classes, device);
        var lossSum = zeros(1, ScalarType.Float64, device);
        var counted = zeros(1, ScalarType.Int64, device);
        // Sums stay on the device; the host reads them once, after the last batch.
        foreach (var batch in loader.Epoch(1))
        {
            using var owned = batch;
            using var step = NewDisposeScope();
            var images = batch.Inputs.to(device);
            var masks = batch.Targets.to(device);
            var logits = model.call(images);
            lossSum.add_(nn.functional.cross_entropy(logits, masks, ignore_index: SegmentationFolder.IgnoreIndex, reduction: nn.Reduction.Sum)
                .to(ScalarType.Float64), One);
            counted.add_(masks.ne(Ignore).sum(), One);
            counter.Add(logits.argmax(1), masks);
        }
        if (wasTraining)
            model.train();
        double pixels = Math.Max(1, counted.cpu().item<long>());
        return new EvaluationResult(lossSum.cpu().item<double>() / pixels, SegmentationScores.From(counter.Read()));
    }
}
