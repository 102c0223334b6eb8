using System;
using System.Globalization;

namespace ResNeStBlocks.Training;

/// <summary>The range checks of optimizer settings, with the messages every optimizer factory shares.</summary>
internal static class OptimizerArguments
{
    public static void Positive(double value, string name)
    {
        if (!(value > 0) || double.IsInfinity(value))
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be positive and finite, got {value.ToString(CultureInfo.InvariantCulture)}.");
    }

    public static void NonNegative(double value, string name)
    {
        if (!(value >= 0) || double.IsInfinity(value))
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be 0 or more and finite, got {value.ToString(CultureInfo.InvariantCulture)}.");
    }

    /// <summary>A moment coefficient (Adam's betas): in [0, 1).</summary>
    public static void Coefficient(double value, string name)
    {
        if (!(value >= 0 && value < 1))
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be in [0, 1), got {value.ToString(CultureInfo.InvariantCulture)}.");
    }
}
