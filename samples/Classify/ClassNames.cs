using System.Collections.Generic;
using System.IO;
using System.Linq;

namespace ResNeStBlocks.Samples.Classify;

/// <summary>Class names, one per line in class-index order (line i names class i).</summary>
public static class ClassNames
{
    /// <summary>Reads the names.</summary>
    /// <param name="path">The text file.</param>
    /// <returns>The names, trimmed.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file names no class.</exception>
    public static IReadOnlyList<string> Load(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"Class names file not found: {path}", path);
        var names = File.ReadAllLines(path).Select(l => l.Trim()).ToList();
        while (names.Count > 0 && names[^1].Length == 0)
            names.RemoveAt(names.Count - 1);
        if (names.Count == 0)
            throw new InvalidDataException($"Class names file {path} is empty.");
        return names;
    }
}
