using System;
using System.Collections.Generic;
using System.Globalization;

namespace ResNeStBlocks.Samples.CommandLine;

/// <summary>
/// Reads the values of the training samples' options (numbers in the invariant culture, optional values), with an
/// <see cref="ArgumentException"/> that names the option and the text it got.
/// </summary>
public static class OptionValues
{
    /// <summary>An integer of at least 1.</summary>
    /// <param name="name">The option, such as <c>--epochs</c>.</param>
    /// <param name="value">Its text.</param>
    public static int Positive(string name, string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0
            ? n : throw new ArgumentException($"{name} must be a positive integer, got '{value}'.", nameof(value));

    /// <summary>An integer of at least 0.</summary>
    /// <param name="name">The option, such as <c>--seed</c>.</param>
    /// <param name="value">Its text.</param>
    public static int NonNegative(string name, string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int n)
            ? n : throw new ArgumentException($"{name} must be a non-negative integer, got '{value}'.", nameof(value));

    /// <summary>A finite number.</summary>
    /// <param name="name">The option, such as <c>--lr</c>.</param>
    /// <param name="value">Its text.</param>
    public static double Number(string name, string value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double x) && double.IsFinite(x)
            ? x : throw new ArgumentException($"{name} must be a number, got '{value}'.", nameof(value));

    /// <summary>
    /// The optional value of the flag at <paramref name="index"/> (such as <c>--export-onnx [FILE]</c>): the next argument
    /// when there is one that is not itself an option (<paramref name="index"/> then moves past it), else null.
    /// </summary>
    /// <param name="args">The command line.</param>
    /// <param name="index">The flag's position; advanced when a value is taken.</param>
    public static string? Optional(IReadOnlyList<string> args, ref int index)
    {
        ArgumentNullException.ThrowIfNull(args);
        return index + 1 < args.Count && !args[index + 1].StartsWith("--", StringComparison.Ordinal) ? args[++index] : null;
    }
}
