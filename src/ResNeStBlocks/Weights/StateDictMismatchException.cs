using System;
using System.Collections.Generic;
using System.Linq;

namespace ResNeStBlocks.Weights;

/// <summary>
/// A state dict does not fit a module: keys are missing or unexpected, or shapes or dtypes disagree.
/// Every problem was found at once and the module was left unchanged. The message is short: the likely
/// cause with its fix when one is recognised, then counts and the first few keys of each kind; the full
/// lists are the <see cref="MissingKeys"/>, <see cref="UnexpectedKeys"/> and <see cref="Mismatches"/> properties.
/// </summary>
public sealed class StateDictMismatchException : InvalidOperationException
{
    /// <summary>How many keys of each kind the message shows before "... and N more".</summary>
    public const int KeysShownPerKind = 5;

    /// <summary>Creates the exception from the full list of problems.</summary>
    /// <param name="moduleName">The module being loaded.</param>
    /// <param name="missingKeys">Keys the module has and the state dict lacks.</param>
    /// <param name="unexpectedKeys">Keys the state dict has and the module lacks.</param>
    /// <param name="mismatches">One line per key whose shape or dtype disagrees.</param>
    /// <param name="diagnosis">The likely cause and its fix, in one or two sentences, or null when none is recognised.</param>
    /// <param name="matchingZooModel">The zoo model whose keys and shapes the state dict has, or null.</param>
    public StateDictMismatchException(string moduleName, IReadOnlyList<string> missingKeys, IReadOnlyList<string> unexpectedKeys,
        IReadOnlyList<string> mismatches, string? diagnosis = null, string? matchingZooModel = null)
        : base(Describe(moduleName, missingKeys, unexpectedKeys, mismatches, diagnosis))
    {
        MissingKeys = missingKeys;
        UnexpectedKeys = unexpectedKeys;
        Mismatches = mismatches;
        Diagnosis = diagnosis;
        MatchingZooModel = matchingZooModel;
    }

    /// <summary>Keys the module has and the state dict lacks.</summary>
    public IReadOnlyList<string> MissingKeys { get; }

    /// <summary>Keys the state dict has and the module lacks.</summary>
    public IReadOnlyList<string> UnexpectedKeys { get; }

    /// <summary>One description per key whose shape or dtype disagrees, such as <c>fc.weight: expected shape [10, 512], got [1000, 512]</c>.</summary>
    public IReadOnlyList<string> Mismatches { get; }

    /// <summary>The likely cause and its fix (another architecture's weights, or only the classifier differs), or null.</summary>
    public string? Diagnosis { get; }

    /// <summary>The model zoo name (<c>ModelZoo.Names</c>) whose keys and shapes the state dict has exactly (classifier rows aside), or null.</summary>
    public string? MatchingZooModel { get; }

    private static string Describe(string moduleName, IReadOnlyList<string> missing, IReadOnlyList<string> unexpected,
        IReadOnlyList<string> mismatches, string? diagnosis)
    {
        ArgumentNullException.ThrowIfNull(missing);
        ArgumentNullException.ThrowIfNull(unexpected);
        ArgumentNullException.ThrowIfNull(mismatches);
        var parts = new List<string>();
        if (missing.Count > 0)
            parts.Add($"{missing.Count} missing key(s): {Sample(missing, ", ")}");
        if (unexpected.Count > 0)
            parts.Add($"{unexpected.Count} unexpected key(s): {Sample(unexpected, ", ")}");
        if (mismatches.Count > 0)
            parts.Add($"{mismatches.Count} mismatched tensor(s): {Sample(mismatches, "; ")}");
        bool truncated = missing.Count > KeysShownPerKind || unexpected.Count > KeysShownPerKind || mismatches.Count > KeysShownPerKind;
        string problems = string.Join(". ", parts.Count > 0 ? parts : Enumerable.Repeat("no details", 1)) + ".";
        return $"The state dict does not fit {moduleName}; nothing was loaded. "
            + (diagnosis is null ? "" : diagnosis + " ")
            + problems
            + (truncated ? " The full lists are the exception's MissingKeys, UnexpectedKeys and Mismatches." : "");
    }

    private static string Sample(IReadOnlyList<string> items, string separator) =>
        items.Count <= KeysShownPerKind
            ? string.Join(separator, items)
            : string.Join(separator, items.Take(KeysShownPerKind)) + $" ... and {items.Count - KeysShownPerKind} more";
}
