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

    /// <summary>
    /// Reads a command line of <c>--name value</c> options into an options record: <c>--help</c> (or <c>-h</c>) gives null,
    /// a switch takes no value, an option with an optional value takes the next argument unless it is an option itself,
    /// and every other option needs a value, which <paramref name="withValue"/> applies.
    /// </summary>
    /// <typeparam name="T">The options record.</typeparam>
    /// <param name="args">The command line.</param>
    /// <param name="options">The defaults.</param>
    /// <param name="switches">Options without a value, such as <c>--pretrained</c>.</param>
    /// <param name="optionalValues">Options whose value may be left out, such as <c>--export-onnx [FILE]</c> (null when it is).</param>
    /// <param name="withValue">Applies (options, name, value); throws <see cref="ArgumentException"/> for an unknown name or a bad value.</param>
    /// <returns>The options, or null when help was asked for.</returns>
    /// <exception cref="ArgumentException">An option lacks its value, is unknown or has a bad value.</exception>
    public static T? Parse<T>(IReadOnlyList<string> args, T options, IReadOnlyDictionary<string, Func<T, T>> switches,
        IReadOnlyDictionary<string, Func<T, string?, T>> optionalValues, Func<T, string, string, T> withValue) where T : class
    {
        ArgumentNullException.ThrowIfNull(args);
        for (int i = 0; i < args.Count; i++)
        {
            string name = args[i];
            if (name is "--help" or "-h")
                return null;
            if (switches.TryGetValue(name, out var apply))
                options = apply(options);
            else if (optionalValues.TryGetValue(name, out var applyOptional))
                options = applyOptional(options, Optional(args, ref i));
            else if (i + 1 >= args.Count)
                throw new ArgumentException($"Option {name} needs a value.", nameof(args));
            else
                options = withValue(options, name, args[++i]);
        }
        return options;
    }
}
