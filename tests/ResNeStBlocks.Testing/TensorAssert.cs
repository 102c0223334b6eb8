using System.Linq;
using FluentAssertions;
using static TorchSharp.torch;

namespace ResNeStBlocks.Testing;

public static class TensorAssert
{
    /// <summary>Asserts |actual - expected| &lt;= atol + rtol * |expected| elementwise, reporting the worst element.</summary>
    public static void Close(Tensor actual, Tensor expected, double atol, double rtol, string what)
    {
        actual.shape.Should().Equal(expected.shape, $"{what} shape");
        using var scope = NewDisposeScope();
        var a = actual.detach().to(ScalarType.Float64).cpu();
        var e = expected.detach().to(ScalarType.Float64).cpu();
        var diff = (a - e).abs();
        var excess = diff - (atol + rtol * e.abs());
        double worst = excess.max().item<double>();
        double maxDiff = diff.max().item<double>();
        worst.Should().BeLessOrEqualTo(0, $"{what} must match within atol={atol}, rtol={rtol} (max |diff| = {maxDiff:E3})");
    }

    public static string Shape(long[] shape) => "[" + string.Join(", ", shape.Select(s => s.ToString())) + "]";
}
