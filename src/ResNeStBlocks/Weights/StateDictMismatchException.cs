using System;
using System.Collections.Generic;
using System.Linq;

namespace ResNeStBlocks.Weights;

/// <summary>
/// A state dict does not fit a module: keys are missing or unexpected, or shapes or dtypes disagree.
/// Every problem is listed at once; the module was left unchanged.
/// </summary>
public sealed class StateDictMismatchException : InvalidOperationException
{
    /// <summary>Creates the exception from the full list of problems.</summary>
    /// <param name="moduleName">The module being loaded.</param>
    /// <param name="missingKeys">Keys the module has and the state dict lacks.</param>
    /// <param name="unexpectedKeys">Keys the state dict has and the module lacks.</param>
    /// <param name="mismatches">One line per key whose shape or dtype disagrees.</param>
    public StateDictMismatchException(string moduleName, IReadOnlyList<string> missingKeys, IReadOnlyList<string> unexpectedKeys,
        IReadOnlyList<string> mismatches)
        : base(Describe(moduleName, missingKeys, unexpectedKeys, mismatches))
    {
        MissingKeys = missingKeys;
        UnexpectedKeys = unexpectedKeys;
        Mismatches = mismatches;
    }

    /// <summary>Keys the module has and the state dict lacks.</summary>
    public IReadOnlyList<string> MissingKeys { get; }

    /// <summary>Keys the state dict has and the module lacks.</summary>
    public IReadOnlyList<string> UnexpectedKeys { get; }

    /// <summary>One description per key whose shape or dtype disagrees, such as <c>fc.weight: expected [10, 512], got [1000, 512]</c>.</summary>
    public IReadOnlyList<string> Mismatches { get; }

    private static string Describe(string moduleName, IReadOnlyList<string> missing, IReadOnlyList<string> unexpected, IReadOnlyList<string> mismatches)
    {
        var parts = new List<string>();
        if (missing.Count > 0)
            parts.Add($"{missing.Count} missing key(s): {string.Join(", ", missing)}");
        if (unexpected.Count > 0)
            parts.Add($"{unexpected.Count} unexpected key(s): {string.Join(", ", unexpected)}");
        if (mismatches.Count > 0)
            parts.Add($"{mismatches.Count} mismatched tensor(s): {string.Join("; ", mismatches)}");
        return $"The state dict does not fit {moduleName}; nothing was loaded. " + string.Join(". ", parts.Count > 0 ? parts : Enumerable.Repeat("no details", 1)) + ".";
    }
}
