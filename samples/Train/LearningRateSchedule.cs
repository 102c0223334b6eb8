using System;

namespace ResNeStBlocks.Samples.Train;

/// <summary>
/// Linear warmup from <c>WarmupStart * PeakRate</c> to the peak over <see cref="WarmupSteps"/> steps, then a cosine
/// decay to <see cref="FinalFraction"/> of the peak at <see cref="TotalSteps"/> (timm's warmup + cosine schedule, per step).
/// </summary>
/// <param name="TotalSteps">Optimizer steps in the whole run.</param>
/// <param name="WarmupSteps">Steps of linear warmup (0 for none).</param>
/// <param name="WarmupStart">Fraction of the peak at step 0.</param>
/// <param name="FinalFraction">Fraction of the peak at the last step.</param>
public sealed record LearningRateSchedule(int TotalSteps, int WarmupSteps, double WarmupStart = 0.1, double FinalFraction = 0.01)
{
    /// <summary>The factor that multiplies the peak rate at <paramref name="step"/> (0-based).</summary>
    /// <param name="step">The optimizer step.</param>
    /// <returns>A factor in (0, 1].</returns>
    public double Factor(int step)
    {
        if (step < WarmupSteps)
            return WarmupStart + (1 - WarmupStart) * step / WarmupSteps;
        int decaySteps = Math.Max(1, TotalSteps - WarmupSteps - 1);
        double progress = Math.Min(1.0, (double)(step - WarmupSteps) / decaySteps);
        return FinalFraction + (1 - FinalFraction) * 0.5 * (1 + Math.Cos(Math.PI * progress));
    }
}
