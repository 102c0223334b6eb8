using ResNeStBlocks.Testing;
using static TorchSharp.torch;

namespace ResNeStBlocks.Onnx.Tests.Support;

/// <summary>ONNX Runtime against the library: the module's eval output and the exported file's, on the same input.</summary>
public static class OnnxAssert
{
    /// <summary>The bound for every exported graph.</summary>
    public const double Tolerance = 1e-4;

    /// <summary>
    /// Exports <paramref name="module"/> once, then checks ORT's output against the module's eval forward at batch 1
    /// and batch 3 (random inputs of <paramref name="sample"/>'s shape [C, H, W]) from the same file.
    /// </summary>
    public static void MatchesEval(nn.Module<Tensor, Tensor> module, long[] sample, string what, OnnxExportOptions? options = null, long seed = 7)
    {
        using var runner = OrtRunner.For(module, options);
        MatchesEval(module, runner, sample, what, seed);
    }

    /// <summary>As above, with a file already exported and loaded.</summary>
    public static void MatchesEval(nn.Module<Tensor, Tensor> module, OrtRunner runner, long[] sample, string what, long seed = 7)
    {
        module.eval();
        var generator = new Generator((ulong)seed);
        foreach (long batch in new long[] { 1, 3 })
        {
            using var scope = NewDisposeScope();
            var input = randn(new[] { batch }.Concat(sample), generator: generator);
            using var _ = no_grad();
            var expected = module.call(input);
            TensorAssert.Close(runner.RunSingle(input), expected, Tolerance, Tolerance, $"{what} batch {batch}");
        }
    }

    private static long[] Concat(this long[] first, long[] rest) => System.Linq.Enumerable.ToArray(System.Linq.Enumerable.Concat(first, rest));
}
