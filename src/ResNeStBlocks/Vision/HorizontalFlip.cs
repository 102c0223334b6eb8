using System;
using static TorchSharp.torch;

namespace ResNeStBlocks.Vision;

/// <summary>
/// Mirrors the image left to right with probability <see cref="Probability"/> (torchvision's detection reference:
/// 0.5): pixel column <c>x</c> goes to <c>W - 1 - x</c>, so a box's edges go to <c>x1' = W - x2</c>, <c>x2' = W - x1</c>;
/// masks and the class mask are mirrored with the image.
/// </summary>
/// <param name="Probability">Chance of the flip, 0 to 1.</param>
public sealed record HorizontalFlip(double Probability = 0.5) : IPairedTransform
{
    /// <inheritdoc />
    public PairedSample Apply(PairedSample sample, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        if (Probability is < 0 or > 1 || double.IsNaN(Probability))
            throw new ArgumentOutOfRangeException(nameof(Probability), Probability, $"Expected a probability from 0 to 1, got {Probability}.");
        PairedSample.Check(sample, nameof(sample));
        bool flip = random.NextDouble() < Probability;
        return flip ? Flip(sample) : PairedSample.Alias(sample);
    }

    /// <summary>Mirrors one sample.</summary>
    /// <param name="sample">Image <c>[3, H, W]</c> and its target.</param>
    /// <returns>The mirrored sample (new tensors).</returns>
    public static PairedSample Flip(PairedSample sample)
    {
        PairedSample.Check(sample, nameof(sample));
        using var scope = NewDisposeScope();
        var boxes = sample.Target.Boxes;
        double w = sample.Width;
        var sign = tensor(new[] { -1.0, 1, -1, 1 }).to(boxes.dtype, boxes.device);
        var shift = tensor(new[] { w, 0, w, 0 }).to(boxes.dtype, boxes.device);
        var order = tensor(new long[] { 2, 1, 0, 3 }, device: boxes.device);
        var flipped = boxes.index_select(1, order).mul(sign).add(shift, HeldScalars.One);
        return PairedSample.Out(sample.Image.flip(-1), flipped, sample.Target.Labels.alias(), sample.Target.Masks?.flip(-1), sample.ClassMask?.flip(-1));
    }
}
