using System;
using System.Collections.Generic;
using ResNeStBlocks.Samples.Data;
using ResNeStBlocks.Vision;
using static TorchSharp.torch;

namespace ResNeStBlocks.Samples.FineTune;

/// <summary>Batches of labelled images for classification: each file decoded to RGB, transformed, and paired with its class index.</summary>
public static class ImageBatches
{
    /// <summary>A loader over <paramref name="images"/>.</summary>
    /// <param name="images">The images and labels.</param>
    /// <param name="transform">Turns a decoded RGB uint8 <c>[H, W, 3]</c> image into float32 <c>[3, size, size]</c>.</param>
    /// <param name="batchSize">Images per batch.</param>
    /// <param name="shuffle">Shuffle each epoch and drop the last partial batch (training), or keep the order and every image (evaluation).</param>
    /// <param name="seed">Seed of the order and the augmentation.</param>
    /// <param name="workers">Threads that decode and transform.</param>
    /// <returns>The loader: inputs <c>[count, 3, size, size]</c>, targets int64 <c>[count]</c>.</returns>
    public static BatchLoader<LabelledImage> Create(IReadOnlyList<LabelledImage> images, Func<Tensor, Random, Tensor> transform, int batchSize,
        bool shuffle, int seed, int workers)
    {
        ArgumentNullException.ThrowIfNull(transform);
        return new BatchLoader<LabelledImage>(images,
            (item, random) => new Example(transform(DecodedImage.LoadRgb(item.Path), random), tensor((long)item.Label)),
            batchSize, shuffle, seed, workers);
    }
}
