using System;
using System.Globalization;

namespace ResNeStBlocks.Training;

/// <summary>
/// Settings of <see cref="ModelEma{TModule}"/>, with timm <c>ModelEmaV3</c>'s names and defaults.
/// </summary>
/// <param name="Decay">The decay once warm (timm <c>decay</c>), in [0, 1).</param>
/// <param name="MinDecay">Lower bound of the warmed-up decay (timm <c>min_decay</c>).</param>
/// <param name="UpdateAfterStep">Steps during which the average simply copies the model (timm <c>update_after_step</c>).</param>
/// <param name="UseWarmup">
/// Grow the decay with the step as <c>1 - (1 + step / WarmupGamma)^-WarmupPower</c>, capped at <see cref="Decay"/>
/// (timm <c>use_warmup</c>), so a short run is not dominated by the random initialisation.
/// </param>
/// <param name="WarmupGamma">timm <c>warmup_gamma</c>.</param>
/// <param name="WarmupPower">timm <c>warmup_power</c> (2/3 suits runs of about 10^6 steps; 3/4 of about 10^5).</param>
/// <param name="ExcludeBuffers">Copy floating-point buffers (BatchNorm running statistics) instead of averaging them (timm <c>exclude_buffers</c>).</param>
public sealed record EmaOptions(double Decay = 0.9999, double MinDecay = 0, int UpdateAfterStep = 0, bool UseWarmup = false,
    double WarmupGamma = 1, double WarmupPower = 2.0 / 3, bool ExcludeBuffers = false)
{
    /// <summary>The decay applied at optimizer step <paramref name="step"/> (timm <c>ModelEmaV3.get_decay</c>).</summary>
    /// <param name="step">The number of optimizer steps taken so far, counting the one just taken (1 after the first).</param>
    /// <returns>0 (copy the model) during the first <c>UpdateAfterStep + 1</c> steps, then the (warmed-up) decay.</returns>
    public double DecayAt(long step)
    {
        long effective = Math.Max(0, step - UpdateAfterStep - 1);
        if (effective <= 0)
            return 0;
        if (!UseWarmup)
            return Decay;
        double warm = 1 - Math.Pow(1 + effective / WarmupGamma, -WarmupPower);
        return Math.Max(Math.Min(warm, Decay), MinDecay);
    }

    /// <summary>Checks the values; throws naming the first bad one.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public void Validate()
    {
        if (!(Decay >= 0 && Decay < 1))
            throw new ArgumentOutOfRangeException(nameof(Decay), Decay, $"Decay must be in [0, 1), got {Format(Decay)}.");
        if (!(MinDecay >= 0 && MinDecay <= Decay))
            throw new ArgumentOutOfRangeException(nameof(MinDecay), MinDecay, $"MinDecay must be in [0, Decay], got {Format(MinDecay)}.");
        if (UpdateAfterStep < 0)
            throw new ArgumentOutOfRangeException(nameof(UpdateAfterStep), UpdateAfterStep, $"UpdateAfterStep must be 0 or more, got {UpdateAfterStep}.");
        if (!(WarmupGamma > 0) || double.IsInfinity(WarmupGamma))
            throw new ArgumentOutOfRangeException(nameof(WarmupGamma), WarmupGamma, $"WarmupGamma must be positive, got {Format(WarmupGamma)}.");
        if (!(WarmupPower > 0) || double.IsInfinity(WarmupPower))
            throw new ArgumentOutOfRangeException(nameof(WarmupPower), WarmupPower, $"WarmupPower must be positive, got {Format(WarmupPower)}.");
    }

    private static string Format(double value) => value.ToString(CultureInfo.InvariantCulture);
}
