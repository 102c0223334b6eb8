using System;
using System.Globalization;

namespace ResNeStBlocks.Training;

/// <summary>
/// timm's <c>CosineLRScheduler</c> (one cycle): a linear warm-up from <see cref="WarmupInitialRate"/> towards
/// <see cref="BaseRate"/> over the first <see cref="WarmupLength"/> units, then the cosine
/// <c>MinRate + 0.5 * (BaseRate - MinRate) * (1 + cos(pi * t / Length))</c>, and <see cref="MinRate"/> from
/// <c>t = Length</c> on. A unit is whatever the caller counts: epochs (timm's default, <c>t_in_epochs=True</c>) or
/// optimizer steps (<c>t_in_epochs=False</c>, <see cref="PerStep"/>).
/// </summary>
/// <remarks>
/// As in timm with <c>warmup_prefix=False</c> (its default), the warm-up overlaps the cosine: the cosine is measured
/// from <c>t = 0</c>, so at the end of the warm-up the rate is the cosine's value there, slightly below
/// <see cref="BaseRate"/>. With <see cref="WarmupPrefix"/> the cosine starts when the warm-up ends.
/// </remarks>
/// <param name="BaseRate">The peak learning rate (timm: the optimizer's <c>lr</c>).</param>
/// <param name="Length">Units in the cosine cycle (timm <c>t_initial</c>), at least 1.</param>
/// <param name="MinRate">Rate at the end of the cycle (timm <c>lr_min</c>).</param>
/// <param name="WarmupLength">Units of linear warm-up (timm <c>warmup_t</c>); 0 for none.</param>
/// <param name="WarmupInitialRate">Rate at <c>t = 0</c> of the warm-up (timm <c>warmup_lr_init</c>).</param>
/// <param name="WarmupPrefix">Start the cosine after the warm-up instead of at <c>t = 0</c> (timm <c>warmup_prefix</c>).</param>
public sealed record CosineSchedule(double BaseRate, int Length, double MinRate = 0, int WarmupLength = 0,
    double WarmupInitialRate = 0, bool WarmupPrefix = false)
{
    /// <summary>A per-step schedule over <paramref name="epochs"/> epochs of <paramref name="stepsPerEpoch"/> steps (timm's <c>sched_on_updates</c>).</summary>
    /// <param name="baseRate">The peak learning rate.</param>
    /// <param name="epochs">Epochs in the run, at least 1.</param>
    /// <param name="stepsPerEpoch">Optimizer steps per epoch, at least 1.</param>
    /// <param name="warmupEpochs">Epochs of warm-up (may be 0).</param>
    /// <param name="minRate">Rate at the end of the run.</param>
    /// <param name="warmupInitialRate">Rate at the first step.</param>
    /// <returns>A schedule whose unit is the optimizer step.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A count is out of range.</exception>
    public static CosineSchedule PerStep(double baseRate, int epochs, int stepsPerEpoch, int warmupEpochs, double minRate, double warmupInitialRate)
    {
        if (epochs < 1)
            throw new ArgumentOutOfRangeException(nameof(epochs), epochs, $"epochs must be at least 1, got {epochs}.");
        if (stepsPerEpoch < 1)
            throw new ArgumentOutOfRangeException(nameof(stepsPerEpoch), stepsPerEpoch, $"stepsPerEpoch must be at least 1, got {stepsPerEpoch}.");
        if (warmupEpochs < 0)
            throw new ArgumentOutOfRangeException(nameof(warmupEpochs), warmupEpochs, $"warmupEpochs must be 0 or more, got {warmupEpochs}.");
        return new CosineSchedule(baseRate, epochs * stepsPerEpoch, minRate, warmupEpochs * stepsPerEpoch, warmupInitialRate);
    }

    /// <summary>The learning rate at unit <paramref name="t"/> (0-based).</summary>
    /// <param name="t">Epoch or step index, 0 or more.</param>
    /// <returns>The rate.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="t"/> is negative, or the schedule's own values are out of range.</exception>
    public double At(long t)
    {
        Validate();
        if (t < 0)
            throw new ArgumentOutOfRangeException(nameof(t), t, $"t must be 0 or more, got {t}.");
        if (t < WarmupLength)
            return WarmupInitialRate + t * (BaseRate - WarmupInitialRate) / WarmupLength;
        if (WarmupPrefix)
            t -= WarmupLength;
        if (t >= Length)
            return MinRate;
        return MinRate + 0.5 * (BaseRate - MinRate) * (1 + Math.Cos(Math.PI * t / Length));
    }

    private void Validate()
    {
        if (Length < 1)
            throw new ArgumentOutOfRangeException(nameof(Length), Length, $"Length must be at least 1, got {Length}.");
        if (WarmupLength < 0)
            throw new ArgumentOutOfRangeException(nameof(WarmupLength), WarmupLength, $"WarmupLength must be 0 or more, got {WarmupLength}.");
        if (!(BaseRate > 0) || double.IsInfinity(BaseRate))
            throw new ArgumentOutOfRangeException(nameof(BaseRate), BaseRate,
                $"BaseRate must be positive and finite, got {BaseRate.ToString(CultureInfo.InvariantCulture)}.");
        if (!(MinRate >= 0 && MinRate <= BaseRate))
            throw new ArgumentOutOfRangeException(nameof(MinRate), MinRate,
                $"MinRate must be in [0, BaseRate], got {MinRate.ToString(CultureInfo.InvariantCulture)}.");
        if (!(WarmupInitialRate >= 0 && WarmupInitialRate <= BaseRate))
            throw new ArgumentOutOfRangeException(nameof(WarmupInitialRate), WarmupInitialRate,
                $"WarmupInitialRate must be in [0, BaseRate], got {WarmupInitialRate.ToString(CultureInfo.InvariantCulture)}.");
    }
}
