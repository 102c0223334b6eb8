using System;
using ResNeStBlocks.Training;

namespace ResNeStBlocks.Samples.Segment;

/// <summary>The per-step learning rate of a run: <see cref="PolySchedule"/> or timm's cosine (<see cref="CosineSchedule"/>).</summary>
public static class LearningRates
{
    /// <summary>The schedule <paramref name="options"/> asks for, over <paramref name="stepsPerEpoch"/> steps per epoch.</summary>
    /// <param name="options">Schedule, peak rate, epochs and warm-up.</param>
    /// <param name="stepsPerEpoch">Optimizer steps per epoch.</param>
    /// <returns>Step to rate.</returns>
    public static Func<long, double> For(SegmentOptions options, int stepsPerEpoch)
    {
        ArgumentNullException.ThrowIfNull(options);
        double peak = options.PeakLearningRate;
        if (options.Schedule == "poly")
            return new PolySchedule(peak, (long)options.Epochs * stepsPerEpoch, (long)options.WarmupEpochs * stepsPerEpoch).At;
        var cosine = CosineSchedule.PerStep(peak, options.Epochs, stepsPerEpoch, options.WarmupEpochs, minRate: 0, warmupInitialRate: Math.Min(1e-5, peak));
        return cosine.At;
    }
}
