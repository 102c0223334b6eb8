using System;
using ResNeStBlocks.Training;

namespace ResNeStBlocks.Samples.Segment;

/// <summary>
/// torchvision's segmentation schedule: an optional linear warm-up (from <see cref="WarmupFactor"/> x the peak, as its
/// <c>LinearLR</c>), then <c>PolynomialLR</c> with power 0.9 over the remaining steps, reaching 0 at the last one.
/// </summary>
/// <param name="BaseRate">The peak learning rate.</param>
/// <param name="Steps">Optimizer steps in the run.</param>
/// <param name="WarmupSteps">Steps of warm-up (0 for none).</param>
/// <param name="Power">The polynomial's power (torchvision: 0.9).</param>
/// <param name="WarmupFactor">The warm-up's starting fraction of the peak (torchvision: 0.01).</param>
public sealed record PolySchedule(double BaseRate, long Steps, long WarmupSteps = 0, double Power = 0.9, double WarmupFactor = 0.01)
{
    /// <summary>The learning rate at optimizer step <paramref name="t"/> (0-based).</summary>
    /// <param name="t">The step.</param>
    /// <returns>The rate.</returns>
    public double At(long t)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(t);
        if (t < WarmupSteps)
            return BaseRate * (WarmupFactor + (1 - WarmupFactor) * t / WarmupSteps);
        long decaySteps = Math.Max(1, Steps - WarmupSteps);
        return BaseRate * Math.Pow(Math.Max(0, 1 - (double)(t - WarmupSteps) / decaySteps), Power);
    }
}

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
