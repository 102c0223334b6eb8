using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using static TorchSharp.torch;

namespace ResNeStBlocks.Training;

/// <summary>
/// Dynamic loss scaling for float16 training (PyTorch's <c>GradScaler</c> policy): the loss is multiplied by
/// <see cref="Scale"/> before the backward pass so that small gradients do not flush to zero in float16; a step whose
/// gradients hold an infinity or NaN is skipped and the scale halved; after <see cref="GrowthInterval"/> good steps
/// in a row the scale doubles.
/// </summary>
/// <remarks>
/// bfloat16 has float32's exponent range and needs no scaling. The scaler holds only numbers; deciding whether a
/// step's gradients are finite (<see cref="AllFinite"/>) reads one boolean from the device, the single host-device
/// synchronisation a scaled step needs.
/// </remarks>
public sealed class DynamicLossScaler
{
    /// <summary>Creates a scaler.</summary>
    /// <param name="initialScale">The first scale, positive and finite (PyTorch: 65536).</param>
    /// <param name="growthInterval">Consecutive good steps after which the scale grows, at least 1.</param>
    /// <param name="growthFactor">Factor of growth, above 1.</param>
    /// <param name="backoffFactor">Factor applied after a step with non-finite gradients, in (0, 1).</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of its range.</exception>
    public DynamicLossScaler(double initialScale = 65536, int growthInterval = 2000, double growthFactor = 2, double backoffFactor = 0.5)
    {
        if (!(initialScale > 0) || double.IsInfinity(initialScale))
            throw new ArgumentOutOfRangeException(nameof(initialScale), initialScale,
                $"initialScale must be positive and finite, got {initialScale.ToString(CultureInfo.InvariantCulture)}.");
        if (growthInterval < 1)
            throw new ArgumentOutOfRangeException(nameof(growthInterval), growthInterval, $"growthInterval must be at least 1, got {growthInterval}.");
        if (!(growthFactor > 1) || double.IsInfinity(growthFactor))
            throw new ArgumentOutOfRangeException(nameof(growthFactor), growthFactor,
                $"growthFactor must be above 1 and finite, got {growthFactor.ToString(CultureInfo.InvariantCulture)}.");
        if (!(backoffFactor > 0 && backoffFactor < 1))
            throw new ArgumentOutOfRangeException(nameof(backoffFactor), backoffFactor,
                $"backoffFactor must be in (0, 1), got {backoffFactor.ToString(CultureInfo.InvariantCulture)}.");
        Scale = initialScale;
        GrowthInterval = growthInterval;
        GrowthFactor = growthFactor;
        BackoffFactor = backoffFactor;
    }

    /// <summary>The factor the loss is multiplied by before the backward pass.</summary>
    public double Scale { get; private set; }

    /// <summary>Consecutive good steps after which the scale grows.</summary>
    public int GrowthInterval { get; }

    /// <summary>Factor of growth.</summary>
    public double GrowthFactor { get; }

    /// <summary>Factor applied after a step with non-finite gradients.</summary>
    public double BackoffFactor { get; }

    /// <summary>Good steps since the scale last changed.</summary>
    public int GoodSteps { get; private set; }

    /// <summary>Steps skipped so far because their gradients were not finite.</summary>
    public long SkippedSteps { get; private set; }

    /// <summary>Records one step's outcome and adjusts the scale.</summary>
    /// <param name="gradientsFinite">Whether every gradient of the step was finite.</param>
    /// <returns>Whether the optimizer may apply the step (false: skip it).</returns>
    public bool Update(bool gradientsFinite)
    {
        if (!gradientsFinite)
        {
            Scale *= BackoffFactor;
            GoodSteps = 0;
            SkippedSteps++;
            return false;
        }
        if (++GoodSteps >= GrowthInterval)
        {
            Scale *= GrowthFactor;
            GoodSteps = 0;
        }
        return true;
    }

    /// <summary>Whether every element of every tensor is finite; one host-device synchronisation.</summary>
    /// <param name="gradients">The gradients (null entries, parameters without a gradient, are ignored).</param>
    /// <returns>True when no tensor holds an infinity or NaN.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="gradients"/> is null.</exception>
    public static bool AllFinite(IEnumerable<Tensor?> gradients)
    {
        ArgumentNullException.ThrowIfNull(gradients);
        using var scope = NewDisposeScope();
        var flags = gradients.Where(g => g is not null).Select(g => isfinite(g!).all()).ToList();
        return flags.Count == 0 || stack(flags).all().item<bool>();
    }
}
