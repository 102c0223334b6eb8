using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;
using static TorchSharp.torch;

namespace ResNeStBlocks.Samples.FineTune;

/// <summary>One batch prepared on the host (CPU tensors); dispose it once the step is done.</summary>
/// <param name="Images">Normalised float32 images <c>[count, 3, size, size]</c>.</param>
/// <param name="Labels">Class index per image, int64 <c>[count]</c>.</param>
public sealed record HostBatch(Tensor Images, Tensor Labels) : IDisposable
{
    /// <summary>Images in the batch.</summary>
    public int Count => (int)Labels.shape[0];

    /// <inheritdoc />
    public void Dispose()
    {
        Images.Dispose();
        Labels.Dispose();
    }
}

/// <summary>
/// Decodes and transforms images on worker threads while the caller trains on earlier batches: a producer fills a
/// bounded channel of at most <c>prefetch</c> ready batches, so decoding runs ahead of the compute without holding the
/// whole dataset in memory. The order of an epoch and each image's augmentation depend only on the seed, the epoch and
/// the image's position, never on thread timing, so runs (and resumed runs) repeat exactly.
/// </summary>
public sealed class BatchLoader
{
    private readonly IReadOnlyList<LabelledImage> images;
    private readonly Func<Tensor, Random, Tensor> transform;
    private readonly int size;

    private readonly int workers;
    private readonly int prefetch;

    /// <summary>Creates a loader.</summary>
    /// <param name="images">The images and labels.</param>
    /// <param name="transform">Turns a decoded RGB uint8 <c>[H, W, 3]</c> image into float32 <c>[3, size, size]</c>.</param>
    /// <param name="size">The transform's output side.</param>
    /// <param name="batchSize">Images per batch.</param>
    /// <param name="shuffle">Shuffle each epoch and drop the last partial batch (training), or keep the order and every image (evaluation).</param>
    /// <param name="seed">Seed of the order and the augmentation.</param>
    /// <param name="workers">Threads that decode and transform.</param>
    /// <param name="prefetch">Ready batches kept ahead of the consumer.</param>
    public BatchLoader(IReadOnlyList<LabelledImage> images, Func<Tensor, Random, Tensor> transform, int size, int batchSize, bool shuffle, int seed, int workers, int prefetch = 4)
    {
        this.images = images;
        this.transform = transform;
        this.size = size;
        BatchSize = batchSize;
        Shuffle = shuffle;
        Seed = seed;
        this.workers = Math.Max(1, workers);
        this.prefetch = Math.Max(1, prefetch);
    }

    /// <summary>Images per batch.</summary>
    public int BatchSize { get; }

    /// <summary>Side of each transformed image.</summary>
    public int ImageSize => size;

    /// <summary>Whether batches are shuffled and the last partial one dropped.</summary>
    public bool Shuffle { get; }

    /// <summary>Seed of the order and the augmentation.</summary>
    public int Seed { get; }

    /// <summary>Batches per epoch.</summary>
    public int BatchCount => Shuffle ? images.Count / BatchSize : (images.Count + BatchSize - 1) / BatchSize;

    /// <summary>The batches of epoch <paramref name="epoch"/>, prepared ahead on worker threads.</summary>
    /// <param name="epoch">1-based epoch (selects the order and the augmentation).</param>
    /// <returns>The batches, in order; abandoning the enumeration stops the workers.</returns>
    public IEnumerable<HostBatch> Epoch(int epoch)
    {
        int[] order = Enumerable.Range(0, images.Count).ToArray();
        if (Shuffle)
            new Random(Mix(Seed, epoch, -1)).Shuffle(order);
        var channel = Channel.CreateBounded<HostBatch>(new BoundedChannelOptions(prefetch) { SingleReader = true, SingleWriter = true });
        using var cancel = new CancellationTokenSource();
        var producer = Task.Run(() => Produce(order, epoch, channel.Writer, cancel.Token));
        try
        {
            var reader = channel.Reader;
            while (reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
            {
                while (reader.TryRead(out var batch))
                    yield return batch;
            }
            producer.GetAwaiter().GetResult();   // rethrows a decoding error with its file name
        }
        finally
        {
            cancel.Cancel();
            try { producer.Wait(); }
            catch (AggregateException) { }
            while (channel.Reader.TryRead(out var unused))
                unused.Dispose();
        }
    }

    private async Task Produce(int[] order, int epoch, ChannelWriter<HostBatch> writer, CancellationToken cancel)
    {
        Exception? failure = null;
        try
        {
            for (int b = 0; b < BatchCount; b++)
            {
                int first = b * BatchSize;
                int count = Math.Min(BatchSize, order.Length - first);
                // Workers write straight into the batch tensor: no managed pixel arrays, so little garbage for the GC.
                var pixels = empty(new long[] { count, 3, size, size });
                var labels = new long[count];
                Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = workers, CancellationToken = cancel }, i =>
                {
                    int position = first + i;
                    var item = images[order[position]];
                    labels[i] = item.Label;
                    using var scope = NewDisposeScope();
                    var decoded = DecodedImage.LoadRgb(item.Path);
                    pixels[i].copy_(transform(decoded, new Random(Mix(Seed, epoch, position))));
                });
                await writer.WriteAsync(new HostBatch(pixels, tensor(labels)), cancel).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
        }
        catch (AggregateException e) when (e.InnerExceptions.Count > 0)
        {
            failure = e.InnerExceptions[0];
            throw failure;
        }
        finally
        {
            writer.TryComplete(failure);
        }
    }

    /// <summary>A seed for (run seed, epoch, position), the same in every process (SplitMix64 finaliser).</summary>
    private static int Mix(int seed, int epoch, int position)
    {
        ulong x = unchecked(((ulong)(uint)seed * 0x9E3779B97F4A7C15UL) ^ ((ulong)(uint)epoch * 0xBF58476D1CE4E5B9UL) ^ ((ulong)(uint)position * 0x94D049BB133111EBUL));
        x ^= x >> 31;
        x = unchecked(x * 0xBF58476D1CE4E5B9UL);
        x ^= x >> 27;
        x = unchecked(x * 0x94D049BB133111EBUL);
        x ^= x >> 31;
        return (int)(x & 0x7FFFFFFF);
    }
}
