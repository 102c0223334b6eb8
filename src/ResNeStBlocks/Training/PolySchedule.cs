using System;

namespace ResNeStBlocks.Training;

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
