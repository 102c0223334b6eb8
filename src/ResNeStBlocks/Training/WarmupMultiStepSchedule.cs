using System;
using System.Collections.Generic;
using System.Linq;

namespace ResNeStBlocks.Training;

/// <summary>
/// The schedule of torchvision's detection reference (<c>references/detection/train.py</c>): in the first epoch a
/// linear warm-up per iteration (its <c>LinearLR(start_factor=1/1000, total_iters=min(1000, len(data_loader) - 1))</c>)
/// and, per epoch, <c>MultiStepLR(milestones, gamma=0.1)</c>. The rate at epoch <c>e</c>, iteration <c>i</c> is
/// <c>BaseRate * Gamma^(milestones &lt;= e) * w(e, i)</c> with <c>w = WarmupFactor + (1 - WarmupFactor) * i / W</c> for
/// <c>e = 0</c> and <c>i &lt; W</c> (<c>W</c> = <see cref="WarmupSteps"/>) and 1 otherwise; with <c>W = 0</c> (one
/// iteration per epoch) the only iteration of epoch 0 runs at <c>WarmupFactor</c>, as PyTorch's <c>LinearLR</c> does.
/// PyTorch multiplies the factors in step by step, so its rates differ from these closed forms by rounding only
/// (relative 1e-15).
/// </summary>
/// <param name="BaseRate">The optimizer's <c>lr</c>.</param>
/// <param name="StepsPerEpoch">Iterations per epoch (<c>len(data_loader)</c>), at least 1.</param>
/// <param name="Milestones">Epochs at whose start the rate is multiplied by <paramref name="Gamma"/> (torchvision's <c>lr_steps</c>, 16 and 22 for 26 epochs).</param>
/// <param name="Gamma">The decay per milestone (torchvision's <c>lr_gamma</c>: 0.1).</param>
/// <param name="WarmupFactor">The warm-up's starting fraction (1/1000).</param>
/// <param name="MaxWarmupSteps">The warm-up's longest length in iterations (1000).</param>
public sealed record WarmupMultiStepSchedule(double BaseRate, int StepsPerEpoch, IReadOnlyList<int> Milestones, double Gamma = 0.1,
    double WarmupFactor = 0.001, int MaxWarmupSteps = 1000)
{
    /// <summary>Iterations of warm-up: <c>min(MaxWarmupSteps, StepsPerEpoch - 1)</c>.</summary>
    public int WarmupSteps => Math.Max(0, Math.Min(MaxWarmupSteps, StepsPerEpoch - 1));

    /// <summary>The rate at iteration <paramref name="step"/> of epoch <paramref name="epoch"/> (both 0-based).</summary>
    /// <param name="epoch">The epoch, 0 or more.</param>
    /// <param name="step">The iteration within the epoch, 0 to <see cref="StepsPerEpoch"/> - 1.</param>
    /// <returns>The rate.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A position or the schedule's own values are out of range.</exception>
    public double At(int epoch, int step)
    {
        if (StepsPerEpoch < 1)
            throw new ArgumentOutOfRangeException(nameof(StepsPerEpoch), StepsPerEpoch, $"StepsPerEpoch must be at least 1, got {StepsPerEpoch}.");
        ArgumentNullException.ThrowIfNull(Milestones);
        if (epoch < 0)
            throw new ArgumentOutOfRangeException(nameof(epoch), epoch, $"epoch must be 0 or more, got {epoch}.");
        if (step < 0 || step >= StepsPerEpoch)
            throw new ArgumentOutOfRangeException(nameof(step), step, $"step must be in [0, {StepsPerEpoch}), got {step}.");
        double rate = BaseRate * Math.Pow(Gamma, Milestones.Count(m => m <= epoch));
        if (epoch > 0)
            return rate;
        int warmup = WarmupSteps;
        if (step == 0)
            return rate * WarmupFactor;
        return step >= warmup ? rate : rate * (WarmupFactor + (1 - WarmupFactor) * step / warmup);
    }

    /// <summary>The rate at optimizer step <paramref name="t"/> counted over the whole run (0-based).</summary>
    /// <param name="t">The step, 0 or more.</param>
    /// <returns>The rate.</returns>
    public double At(long t)
    {
        if (StepsPerEpoch < 1)
            throw new ArgumentOutOfRangeException(nameof(StepsPerEpoch), StepsPerEpoch, $"StepsPerEpoch must be at least 1, got {StepsPerEpoch}.");
        ArgumentOutOfRangeException.ThrowIfNegative(t);
        return At((int)(t / StepsPerEpoch), (int)(t % StepsPerEpoch));
    }
}
