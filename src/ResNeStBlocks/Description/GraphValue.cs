using System;

namespace ResNeStBlocks.Description;

/// <summary>
/// A tensor inside a described forward pass: the input of a description or the result of one of the
/// <see cref="ForwardGraph"/>'s operations. Only a graph creates values, and each operation accepts only values of its
/// own graph, so a description cannot name a value that nothing defined (<c>default(GraphValue)</c> or a value kept
/// from another graph is refused with the name of the module being described).
/// </summary>
public readonly struct GraphValue : IEquatable<GraphValue>
{
    internal GraphValue(ForwardGraph owner, string id)
    {
        Owner = owner;
        Id = id;
    }

    /// <summary>The graph's name for the value (an ONNX value name); null only for <c>default(GraphValue)</c>, which no operation accepts.</summary>
    public string Id { get; }

    /// <summary>The graph that defined the value; null for <c>default(GraphValue)</c>.</summary>
    internal ForwardGraph? Owner { get; }

    /// <inheritdoc />
    public bool Equals(GraphValue other) => ReferenceEquals(Owner, other.Owner) && string.Equals(Id, other.Id, StringComparison.Ordinal);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is GraphValue other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Owner, Id);

    /// <inheritdoc />
    public override string ToString() => Id ?? "(undefined)";

    /// <summary>Whether two values are the same value of the same graph.</summary>
    public static bool operator ==(GraphValue left, GraphValue right) => left.Equals(right);

    /// <summary>Whether two values differ.</summary>
    public static bool operator !=(GraphValue left, GraphValue right) => !left.Equals(right);
}
