using System;
using System.Collections.Generic;
using System.Linq;
using ResNeStBlocks.Description;
using static TorchSharp.torch;

namespace ResNeStBlocks.Onnx.Export;

/// <summary>
/// The check before a file is written: the model's descriptions, computed with TorchSharp, against its forward on a
/// seeded probe input of the export's size, in the model's dtype and on its device.
/// </summary>
internal static class ExportVerification
{
    /// <summary>Seed of the probe input, so that a refusal reproduces.</summary>
    public const int ProbeSeed = 20260;

    public static void Verify(nn.Module model, int channels, OnnxExportOptions options,
        Func<Description.ForwardGraph, GraphValue, IReadOnlyList<NamedValue>>? describe, Func<Tensor, IReadOnlyList<(string Name, Tensor Value)>>? forward)
    {
        var (height, width) = options.DynamicSpatialSize
            ? (options.InputHeight ?? OnnxExportOptions.DynamicProbeSize, options.InputWidth ?? OnnxExportOptions.DynamicProbeSize)
            : options.SpatialSize;
        var reference = model.parameters().Concat(model.buffers()).FirstOrDefault(t => t.is_floating_point());
        var dtype = reference?.dtype ?? ScalarType.Float32;
        var device = reference?.device ?? CPU;
        using var scope = NewDisposeScope();
        using var generator = new Generator(ProbeSeed);
        var probe = randn(new long[] { 1, channels, height, width }, generator: generator).to(dtype, device);
        DescriptionCheck.VerifyOutputs(model, probe, Tolerance(dtype), describe, forward);
    }

    private static double Tolerance(ScalarType dtype) =>
        dtype is ScalarType.Float16 or ScalarType.BFloat16 ? 1e-2 : DescriptionCheck.DefaultTolerance;
}
