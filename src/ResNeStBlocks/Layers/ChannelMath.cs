using System;

namespace ResNeStBlocks.Layers;

/// <summary>Channel arithmetic with timm's rounding rules, shared by the attention layers and blocks.</summary>
public static class ChannelMath
{
    /// <summary>
    /// Rounds <paramref name="value"/> to the nearest multiple of <paramref name="divisor"/> (timm's
    /// <c>make_divisible</c>): never below <paramref name="minValue"/> (defaults to the divisor), and one
    /// divisor higher when rounding down lost more than <c>1 - roundLimit</c> of the value.
    /// </summary>
    /// <param name="value">The channel count before rounding, often a fraction such as <c>channels / 16</c>.</param>
    /// <param name="divisor">The multiple to round to; at least 1.</param>
    /// <param name="minValue">The smallest result allowed; <c>null</c> or 0 means <paramref name="divisor"/>.</param>
    /// <param name="roundLimit">The fraction of <paramref name="value"/> the result must keep; 0 disables the bump.</param>
    /// <returns>The rounded channel count.</returns>
    /// <example><c>MakeDivisible(64 / 16.0, 8) == 8</c>, <c>MakeDivisible(2 * 64 * 0.25, 8, minValue: 32) == 32</c>.</example>
    public static int MakeDivisible(double value, int divisor = 8, int? minValue = null, double roundLimit = 0.9)
    {
        if (divisor < 1)
            throw new ArgumentOutOfRangeException(nameof(divisor), divisor, "divisor must be at least 1.");
        if (double.IsNaN(value) || double.IsInfinity(value) || value < 0)
            throw new ArgumentOutOfRangeException(nameof(value), value, "value must be a finite, non-negative channel count.");
        if (value > int.MaxValue / 2)
            throw new ArgumentOutOfRangeException(nameof(value), value, $"value must be at most {int.MaxValue / 2}.");
        int floor = minValue is null or 0 ? divisor : minValue.Value;
        // Python: int(v + divisor / 2) // divisor * divisor  (int() truncates toward zero; v >= 0 here).
        int rounded = (int)(value + divisor / 2.0) / divisor * divisor;
        int result = Math.Max(floor, rounded);
        if (result < roundLimit * value)
            result += divisor;
        return result;
    }

    /// <summary>
    /// The width of a bottleneck's grouped 3x3 convolution: <c>floor(planes * baseWidth / 64) * cardinality</c>
    /// (timm's ResNeXt, Res2Net and ResNeSt bottlenecks).
    /// </summary>
    /// <param name="planes">The block's planes (output channels divided by the expansion).</param>
    /// <param name="baseWidth">Channels per group at 64 planes.</param>
    /// <param name="cardinality">The number of groups.</param>
    /// <returns>The grouped convolution's channel count.</returns>
    /// <exception cref="ArgumentException">A count is not positive, or the width rounds down to zero (the parameter named is the spec's).</exception>
    internal static int GroupWidth(int planes, int baseWidth, int cardinality)
    {
        Guard.Positive((cardinality, "Cardinality"), (baseWidth, "BaseWidth"));
        int width = (int)Math.Floor(planes * (baseWidth / 64.0)) * cardinality;
        Guard.Positive(width, "BaseWidth", GroupWidthRule);
        return width;
    }

    /// <summary>The rule of <see cref="GroupWidth"/>, as messages state it.</summary>
    internal const string GroupWidthRule = "floor(planes * baseWidth / 64) * cardinality";

    /// <summary>
    /// Zero padding that keeps a convolution centred (timm's <c>get_padding</c>):
    /// <c>((stride - 1) + dilation * (kernelSize - 1)) / 2</c>.
    /// </summary>
    /// <param name="kernelSize">The kernel size.</param>
    /// <param name="stride">The stride.</param>
    /// <param name="dilation">The dilation.</param>
    /// <returns>The padding on each side.</returns>
    internal static int SamePadding(int kernelSize, int stride = 1, int dilation = 1) =>
        ((stride - 1) + dilation * (kernelSize - 1)) / 2;
}
