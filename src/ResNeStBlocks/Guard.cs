using System;
using static TorchSharp.torch;

namespace ResNeStBlocks;

/// <summary>
/// Argument checks that run before any tensor is allocated or any native call is made. Every check takes the
/// name of a real parameter (the exception's <c>ParamName</c>); when the checked value is derived from it,
/// <c>what</c> describes the derivation for the message.
/// </summary>
internal static class Guard
{
    public static void Positive(int value, string name, string? what = null)
    {
        if (value < 1)
            throw new ArgumentOutOfRangeException(name, value, $"{what ?? name} must be at least 1, got {value}.");
    }

    /// <summary>Checks several counts at once, in order; each pair is a value and its parameter's name.</summary>
    public static void Positive(params (int Value, string Name)[] values)
    {
        foreach (var (value, name) in values)
            Positive(value, name);
    }

    public static void NonNegative(int value, string name)
    {
        if (value < 0)
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be 0 or more, got {value}.");
    }

    public static void Divisible(int value, string name, int divisor, string divisorDescription, string? what = null)
    {
        if (divisor < 1 || value % divisor != 0)
            throw new ArgumentException(
                $"{what ?? name} ({value}) must be divisible by {divisorDescription} ({divisor}).", name);
    }

    public static void Probability(double value, string name)
    {
        if (double.IsNaN(value) || value < 0 || value >= 1)
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be in [0, 1), got {value}.");
    }

    /// <summary>
    /// An attention width given either explicitly (<c>reducedChannels</c>, at least 1) or as a fraction of the
    /// channels (<c>reductionRatio</c>, in (0, 1]); the ratio is only checked when no explicit width is given.
    /// </summary>
    public static void Reduction(double reductionRatio, int? reducedChannels,
        string ratioName = "reductionRatio", string channelsName = "reducedChannels")
    {
        if (reducedChannels is { } explicitChannels)
            Positive(explicitChannels, channelsName);
        else if (!(reductionRatio > 0 && reductionRatio <= 1))
            throw new ArgumentOutOfRangeException(ratioName, reductionRatio, $"{ratioName} must be in (0, 1], got {reductionRatio}.");
    }

    /// <summary>
    /// Checks that <paramref name="input"/> is a floating-point NCHW batch with the expected channels and, when the
    /// module's first weight is given, the same dtype and device as that weight: libtorch would otherwise fail inside
    /// a convolution with a native stack. Half-precision models keep BatchNorms in float32, so the reference is a
    /// convolution's weight. <paramref name="parameter"/> names the checked argument when a module takes several inputs.
    /// </summary>
    public static void Image(Tensor input, long channels, string module, Tensor? weight = null, string parameter = "input")
    {
        ArgumentNullException.ThrowIfNull(input, parameter);
        // Metadata reads only, no allocation and no device sync, on the hot path; shapes are formatted only for a message.
        if (input.dtype == ScalarType.Byte)
            throw new ArgumentException(EightBitImage(input, channels, module), parameter);
        if (input.dim() != 4)
            throw new ArgumentException(
                $"{module} expects a 4-D input [batch, {channels}, height, width], got shape [{string.Join(", ", input.shape)}].",
                parameter);
        long actual = input.size(1);
        if (actual != channels)
            throw new ArgumentException(
                $"{module} expects {channels} input channels, got {actual} (shape [{string.Join(", ", input.shape)}]).",
                parameter);
        var dtype = input.dtype;
        if (!dtype.IsFloatingPoint())
            throw new ArgumentException(
                $"{module} expects a floating-point input (float32, float16, bfloat16 or float64), got {dtype}.",
                parameter);
        if (weight is null)
            return;
        var expected = weight.dtype;
        if (dtype != expected)
            throw new ArgumentException(
                $"{module} has {expected} weights but the input is {dtype}; cast the input first: input.to_type(ScalarType.{expected}).",
                parameter);
        if (input.device_type != weight.device_type || input.device_index != weight.device_index)
            throw new ArgumentException(
                $"{module} has its weights on {weight.device} but the input is on {input.device}; move the input first: " +
                $"input.to(new Device(\"{weight.device}\")).",
                parameter);
    }

    // A decoded image passed straight to a model: name the preprocessing that makes it a model input.
    private static string EightBitImage(Tensor input, long channels, string module)
    {
        string shape = string.Join(", ", input.shape);
        bool channelsLast = input.dim() is 3 or 4 && input.size(-1) == channels;
        string what = channelsLast
            ? $"a uint8 image in height-width-channel layout (shape [{shape}])"
            : $"a uint8 tensor (shape [{shape}])";
        return $"{module} was given {what}, but takes normalised floating-point images [batch, {channels}, height, width]. " +
               "Preprocess each image with ImagePreprocessor.Process (for pretrained weights: ModelZoo.Pretrained(name).CreatePreprocessor()) " +
               "and stack them, or convert yourself: image.permute(2, 0, 1).unsqueeze(0), to float32, divided by 255, normalised by the weights' mean and std.";
    }
}
