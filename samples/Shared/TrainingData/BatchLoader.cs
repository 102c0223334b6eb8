using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNeStBlocks.Samples.Data;

/// <summary>One prepared training or evaluation example (CPU tensors the loader owns once returned).</summary>
/// <param name="Input">The network input, such as a normalised float32 image <c>[3, H, W]</c>.</param>
/// <param name="Target">What the network should predict: a class index (a 0-d int64 tensor) or a class per pixel <c>[H, W]</c>.</param>
public readonly record struct Example(Tensor Input, Tensor Target);

/// <summary>One batch prepared on the host (CPU tensors); dispose it once the step is done.</summary>
/// <param name="Inputs">The inputs, stacked: <c>[count, ...]</c>.</param>
/// <param name="Targets">The targets, stacked: <c>[count]</c> or <c>[count, H, W]</c>.</param>
public sealed record HostBatch(Tensor Inputs, Tensor Targets) : IDisposable
{
    /// <summary>Examples in the batch.</summary>
    public int Count => (int)Inputs.shape[0];

    /// <inheritdoc />
    public void Dispose()
    {
        Inputs.Dispose();
        Targets.Dispose();
    }
}

/// <summary>
/// Prepares batches on worker threads while the caller trains on earlier ones: a producer fills a bounded channel of at
/// most <c>prefetch</c> ready batches, so decoding and augmentation run ahead of the compute without holding the whole
/// dataset in memory. The order of an epoch and each example's augmentation depend only on the seed, the epoch and the
/// example's position, never on thread timing, so runs (and resumed runs) repeat exactly.
/// </summary>
/// <remarks>
/// Examples of different sizes are stacked as torchvision's segmentation reference collates them: each is placed at the
/// top left of a batch as large as the largest, inputs padded with 0 and targets with <see cref="TargetPadding"/>
/// (the ignore index, for masks).
/// </remarks>
/// <typeparam name="TItem">What the dataset lists (a file and its label, an image and its mask).</typeparam>
public sealed class BatchLoader<TItem>
{
    private readonly IReadOnlyList<TItem> items;
    private readonly Func<TItem, Random, Example> prepare;
    private readonly int workers;
    private readonly int prefetch;

    /// <summary>Creates a loader.</summary>
    /// <param name="items">The dataset.</param>
    /// <param name="prepare">Decodes and transforms one item with its own source of randomness; runs on worker threads.</param>
    /// <param name="batchSize">Examples per batch.</param>
    /// <param name="shuffle">Shuffle each epoch and drop the last partial batch (training), or keep the order and every example (evaluation).</param>
    /// <param name="seed">Seed of the order and the augmentation.</param>
    /// <param name="workers">Threads that prepare examples.</param>
    /// <param name="prefetch">Ready batches kept ahead of the consumer.</param>
    /// <param name="targetPadding">The value that pads targets smaller than the batch's largest (255, the ignore index, for masks).</param>
    public BatchLoader(IReadOnlyList<TItem> items, Func<TItem, Random, Example> prepare, int batchSize, bool shuffle, int seed, int workers,
        int prefetch = 4, long targetPadding = 0)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(prepare);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        this.items = items;
        this.prepare = prepare;
        BatchSize = batchSize;
        Shuffle = shuffle;
        Seed = seed;
        TargetPadding = targetPadding;
        this.workers = Math.Max(1, workers);
        this.prefetch = Math.Max(1, prefetch);
    }

    /// <summary>Examples per batch.</summary>
    public int BatchSize { get; }

    /// <summary>Whether batches are shuffled and the last partial one dropped.</summary>
    public bool Shuffle { get; }

    /// <summary>Seed of the order and the augmentation.</summary>
    public int Seed { get; }

    /// <summary>The value that pads targets smaller than their batch's largest.</summary>
    public long TargetPadding { get; }

    /// <summary>Batches per epoch.</summary>
    public int BatchCount => Shuffle ? items.Count / BatchSize : (items.Count + BatchSize - 1) / BatchSize;

    /// <summary>The batches of epoch <paramref name="epoch"/>, prepared ahead on worker threads.</summary>
    /// <param name="epoch">1-based epoch (selects the order and the augmentation).</param>
    /// <returns>The batches, in order; abandoning the enumeration stops the workers.</returns>
    public IEnumerable<HostBatch> Epoch(int epoch)
    {
        int[] order = Enumerable.Range(0, items.Count).ToArray();
        if (Shuffle)
            new Random(SeedMixer.Mix(Seed, epoch, -1)).Shuffle(order);
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
                var examples = new Example[count];
                try
                {
                    Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = workers, CancellationToken = cancel }, i =>
                    {
                        int position = first + i;
                        using var scope = NewDisposeScope();
                        var example = prepare(items[order[position]], new Random(SeedMixer.Mix(Seed, epoch, position)));
                        examples[i] = new Example(example.Input.MoveToOuterDisposeScope(), example.Target.MoveToOuterDisposeScope());
                    });
                    await writer.WriteAsync(Collate(examples), cancel).ConfigureAwait(false);
                }
                finally
                {
                    foreach (var example in examples)
                    {
                        example.Input?.Dispose();
                        example.Target?.Dispose();
                    }
                }
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

    /// <summary>Stacks the examples, padding each to the largest one's size.</summary>
    private HostBatch Collate(Example[] examples)
    {
        var inputs = Stack(examples.Select(e => e.Input).ToArray(), padding: 0);
        try
        {
            return new HostBatch(inputs, Stack(examples.Select(e => e.Target).ToArray(), TargetPadding));
        }
        catch
        {
            inputs.Dispose();
            throw;
        }
    }

    private static Tensor Stack(Tensor[] tensors, long padding)
    {
        var largest = tensors[0].shape.ToArray();
        foreach (var t in tensors)
        {
            if (t.dim() != largest.Length)
                throw new InvalidOperationException($"Examples of one batch must have the same rank, got {largest.Length} and {t.dim()}.");
            for (int d = 0; d < largest.Length; d++)
                largest[d] = Math.Max(largest[d], t.shape[d]);
        }
        using Scalar fill = padding;
        var batch = full(new[] { (long)tensors.Length }.Concat(largest).ToArray(), fill, tensors[0].dtype);
        for (int i = 0; i < tensors.Length; i++)
        {
            using var scope = NewDisposeScope();   // the views below
            var slot = batch[i];
            for (int d = 0; d < tensors[i].dim(); d++)
                slot = slot.narrow(d, 0, tensors[i].shape[d]);
            slot.copy_(tensors[i]);
        }
        return batch;
    }
}
