using ResNeStBlocks.Backbones;
using ResNeStBlocks.Blocks;
using ResNeStBlocks.Layers;
using TorchSharp;
using TorchSharp.Modules;

namespace ResNeStBlocks.Onnx.Export;

/// <summary>
/// Turns one module into the ONNX nodes it equals in eval mode, by type: each known type has an emitter,
/// and any other type raises <see cref="System.NotSupportedException"/> naming the module's path.
/// </summary>
internal static class ModuleEmitter
{
    /// <summary>Appends the nodes of <paramref name="module"/> applied to <paramref name="input"/>; returns the output value.</summary>
    public static string Emit(ExportContext context, torch.nn.Module module, string path, string input) => module switch
    {
        BasicBlock or Bottleneck or Res2NetBottleneck or ResNeStBottleneck or SelectiveKernelBasicBlock or SelectiveKernelBottleneck =>
            BlockEmitter.Emit(context, (ResidualBlock)module, path, input),
        SqueezeExcite se => AttentionEmitter.SqueezeExcite(context, se, path, input),
        SplitAttention split => AttentionEmitter.SplitAttention(context, split, path, input),
        SelectiveKernel sk => AttentionEmitter.SelectiveKernel(context, sk, path, input),
        ConvNormAct unit => ConvEmitter.ConvNormAct(context, unit, path, input),
        Sequential sequence => SequentialEmitter.Emit(context, sequence, path, input),
        Conv2d conv => ConvEmitter.Emit(context, conv, path, null, null, input),
        BatchNorm2d norm => ConvEmitter.BatchNormalization(context, norm, path, input),
        ReLU => context.Graph.Node("Relu", path, new[] { input }),
        AvgPool2d pool => PoolEmitter.Average(context, pool, path, input),
        MaxPool2d pool => PoolEmitter.Max(context, pool, path, input),
        _ when CoreAdapter.IsSamePaddedAvgPool(module) => PoolEmitter.SamePaddedAverage(context, path, input),
        _ when ChildModules.IsEvalIdentity(module) => input,
        _ => throw OnnxExportErrors.Unsupported(module, path),
    };
}
