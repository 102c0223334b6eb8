using System;
using System.Linq;
using static TorchSharp.torch;

namespace ResNeStBlocks.Description;

/// <summary>How far a description's output is from the forward's: the largest absolute difference, and the scale it is judged against.</summary>
/// <param name="Largest">The largest absolute difference (NaN when either holds NaN where the other does not, infinity when the shapes differ).</param>
/// <param name="Scale">The larger of 1 and the forward's largest magnitude; a difference within tolerance x scale agrees.</param>
/// <param name="ActualShape">The description's output shape.</param>
/// <param name="ExpectedShape">The forward's output shape.</param>
internal readonly record struct Comparison(double Largest, double Scale, long[] ActualShape, long[] ExpectedShape)
{
    private static readonly TorchSharp.Scalar MinusOne = -1;

    public static Comparison Of(Tensor actual, Tensor expected)
    {
        if (!actual.shape.SequenceEqual(expected.shape))
            return new Comparison(double.PositiveInfinity, 1, actual.shape, expected.shape);
        using var scope = NewDisposeScope();
        var reference = expected.detach().to(ScalarType.Float64);
        double largest = actual.detach().to(ScalarType.Float64).add(reference, MinusOne).abs().max().item<double>();
        double scale = Math.Max(1, reference.abs().max().item<double>());
        return new Comparison(largest, scale, actual.shape, expected.shape);
    }

    public bool Within(double tolerance) => !double.IsNaN(Largest) && Largest <= tolerance * Scale;

    /// <summary>The difference as messages state it.</summary>
    public string Describe(double tolerance) =>
        double.IsPositiveInfinity(Largest) && !ActualShape.SequenceEqual(ExpectedShape)
            ? $"the description gives shape [{string.Join(", ", ActualShape)}] where the forward gives [{string.Join(", ", ExpectedShape)}]"
            : $"the largest difference is {Largest:G3} (allowed: {tolerance:G3} x {Scale:G3}, the output's largest magnitude or 1)";
}
