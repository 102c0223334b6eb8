using System;
using System.Collections.Generic;
using System.Linq;

namespace ResNeStBlocks.Vision;

/// <summary>
/// Class names and their label indices: background at 0 (torchvision's detectors reserve it), the named classes from 1
/// in the order given.
/// </summary>
public sealed class ClassTable
{
    /// <summary>The name at index 0.</summary>
    public const string BackgroundName = "__background__";

    private readonly Dictionary<string, int> indices;

    /// <summary>A table of <paramref name="classes"/> (without background), labelled 1, 2, ... in order.</summary>
    /// <param name="classes">Distinct, non-empty class names.</param>
    /// <exception cref="ArgumentException">A name is empty, repeated or is <see cref="BackgroundName"/>.</exception>
    public ClassTable(IEnumerable<string> classes)
    {
        ArgumentNullException.ThrowIfNull(classes);
        var names = new List<string> { BackgroundName };
        indices = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var name in classes)
        {
            if (string.IsNullOrWhiteSpace(name) || name == BackgroundName)
                throw new ArgumentException($"Expected non-empty class names other than '{BackgroundName}', got '{name}' at position {names.Count - 1}.", nameof(classes));
            if (!indices.TryAdd(name, names.Count))
                throw new ArgumentException($"Expected distinct class names, got '{name}' twice (positions {indices[name] - 1} and {names.Count - 1}).", nameof(classes));
            names.Add(name);
        }
        Names = names.AsReadOnly();
    }

    /// <summary>Pascal VOC's 20 classes in the devkit's order (aeroplane = 1 ... tvmonitor = 20).</summary>
    public static ClassTable PascalVoc { get; } = new(new[]
    {
        "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow",
        "diningtable", "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa", "train", "tvmonitor",
    });

    /// <summary>All names by label, <see cref="BackgroundName"/> first.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>Labels including background (a detector's <c>num_classes</c>).</summary>
    public int Count => Names.Count;

    /// <summary>The label of <paramref name="name"/>, or false when the table does not hold it.</summary>
    /// <param name="name">A class name.</param>
    /// <param name="label">Its label, 1 and up.</param>
    /// <returns>Whether the name is known.</returns>
    public bool TryGetLabel(string name, out int label) => indices.TryGetValue(name, out label);

    /// <summary>The classes (without background), comma-separated, for messages.</summary>
    /// <returns>The list.</returns>
    public override string ToString() => string.Join(", ", Names.Skip(1));
}
