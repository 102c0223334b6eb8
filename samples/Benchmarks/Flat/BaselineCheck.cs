using System;
using ResNeStBlocks.Backbones;
using static TorchSharp.torch;

namespace ResNeStBlocks.Benchmarks.Flat;

/// <summary>Checks that <see cref="FlatResNeSt"/> computes what the library's <see cref="ResNet"/> computes.</summary>
public static class BaselineCheck
{
    /// <summary>Absolute and relative tolerance (the project's float32 parity rule).</summary>
    public const double Tolerance = 1e-4;

    /// <summary>
    /// Runs both networks on the same input in eval mode and in train mode (batch statistics) and throws
    /// when any output differs by more than <see cref="Tolerance"/>. Returns the largest absolute difference.
    /// </summary>
    public static double Verify(ResNet model, FlatResNeSt flat, Tensor input)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        double worst = 0;
        foreach (bool training in new[] { false, true })
        {
            model.train(training);
            var expected = model.call(input);
            var actual = flat.Forward(input, training);
            double diff = (expected - actual).abs().max().item<float>();
            worst = Math.Max(worst, diff);
            if (!actual.allclose(expected, Tolerance, Tolerance))
                throw new InvalidOperationException(
                    $"Flat baseline differs from the library ({(training ? "train" : "eval")} mode): max |diff| = {diff:G3}.");
        }
        model.eval();
        return worst;
    }
}
