using System.Collections.Generic;
using System.Linq;
using ResNeStBlocks.Blocks;
using ResNeStBlocks.Layers;
using ResNeStBlocks.Onnx.Graph;
using TorchSharp;
using TorchSharp.Modules;

namespace ResNeStBlocks.Onnx.Export;

/// <summary>
/// The residual blocks: each block type's branch, then the shortcut (<c>downsample</c> or identity), Add and
/// Relu. Drop path and DropBlock are the identity in eval mode and are left out.
/// </summary>
internal static class BlockEmitter
{
    public static string Emit(ExportContext context, ResidualBlock block, string path, string input)
    {
        var children = new ChildModules(block, path);
        string branch = block switch
        {
            BasicBlock => BasicBranch(context, children, input),
            Bottleneck => BottleneckBranch(context, children, input),
            Res2NetBottleneck res2 => Res2NetBranch(context, res2, children, input),
            ResNeStBottleneck => ResNeStBranch(context, children, input),
            SelectiveKernelBasicBlock => SelectiveKernelBasicBranch(context, children, input),
            SelectiveKernelBottleneck => SelectiveKernelBottleneckBranch(context, children, input),
            _ => throw OnnxExportErrors.Unsupported(block, path),
        };
        branch = Attention(context, children, branch);
        var downsample = children.Optional("downsample");
        string shortcut = downsample is null ? input : ModuleEmitter.Emit(context, downsample, children.PathOf("downsample"), input);
        children.EnsureAllTaken();
        string sum = context.Graph.Node("Add", path, new[] { branch, shortcut });
        return context.Graph.Node("Relu", path, new[] { sum });
    }

    private static string BasicBranch(ExportContext context, ChildModules children, string input)
    {
        string x = ConvEmitter.ChildPair(context, children, "conv1", "bn1", input, relu: true);
        return ConvEmitter.ChildPair(context, children, "conv2", "bn2", x, relu: false);
    }

    private static string BottleneckBranch(ExportContext context, ChildModules children, string input)
    {
        string x = ConvEmitter.ChildPair(context, children, "conv1", "bn1", input, relu: true);
        x = ConvEmitter.ChildPair(context, children, "conv2", "bn2", x, relu: true);
        return ConvEmitter.ChildPair(context, children, "conv3", "bn3", x, relu: false);
    }

    private static string ResNeStBranch(ExportContext context, ChildModules children, string input)
    {
        string x = ConvEmitter.ChildPair(context, children, "conv1", "bn1", input, relu: true);
        x = OptionalPool(context, children, "avd_first", x);
        var conv2 = children.Required<torch.nn.Module>("conv2");
        x = conv2 switch
        {
            SplitAttention split => AttentionEmitter.SplitAttention(context, split, children.PathOf("conv2"), x),
            Conv2d => ConvEmitter.ChildPair(context, children, "conv2", "bn2", x, relu: true),
            _ => throw OnnxExportErrors.Unsupported(conv2, children.PathOf("conv2")),
        };
        x = OptionalPool(context, children, "avd_last", x);
        return ConvEmitter.ChildPair(context, children, "conv3", "bn3", x, relu: false);
    }

    /// <summary>
    /// Res2Net: split the reduced features into <c>scale</c> groups of <c>width</c> channels; group i (i &lt; scale - 1)
    /// goes through its own conv after adding the previous group's output (not in the stage form); the last group
    /// passes through (average-pooled in the stage form); concatenate, expand.
    /// </summary>
    private static string Res2NetBranch(ExportContext context, Res2NetBottleneck block, ChildModules children, string input)
    {
        var graph = context.Graph;
        var conv1 = children.Required<Conv2d>("conv1");
        string reduced = ConvEmitter.ChildPair(context, children, "conv1", "bn1", input, relu: true);
        var convs = children.Required<ModuleList<Conv2d>>("convs");
        var bns = children.Optional<ModuleList<BatchNorm2d>>("bns");
        long width = convs[0].in_channels;
        int scale = (int)(conv1.out_channels / width);
        string[] splits = scale == 1
            ? new[] { reduced }
            : graph.NodeOutputs("Split", children.PathOf("split"), new[] { reduced }, scale, Attr.Int("axis", 1));

        var outputs = new List<string>(scale);
        string? previous = null;
        for (int i = 0; i < convs.Count; i++)
        {
            string index = i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            string convPath = ExportContext.Join(children.PathOf("convs"), index);
            string split = block.IsStageForm || previous is null
                ? splits[i]
                : graph.Node("Add", convPath, new[] { previous, splits[i] });
            previous = ConvEmitter.Emit(context, convs[i], convPath, bns?[i], ExportContext.Join(children.PathOf("bns"), index), split, relu: true);
            outputs.Add(previous);
        }
        // The stage form pools the pass-through split; with a single split there is none, and the pool goes unused.
        var pool = children.Optional<AvgPool2d>("pool");
        if (scale > 1)
            outputs.Add(pool is null ? splits[^1] : PoolEmitter.Average(context, pool, children.PathOf("pool"), splits[^1]));
        string joined = outputs.Count == 1 ? outputs[0] : graph.Node("Concat", children.Path, outputs, Attr.Int("axis", 1));
        return ConvEmitter.ChildPair(context, children, "conv3", "bn3", joined, relu: false);
    }

    private static string SelectiveKernelBasicBranch(ExportContext context, ChildModules children, string input)
    {
        string x = AttentionEmitter.SelectiveKernel(context, children.Required<SelectiveKernel>("conv1"), children.PathOf("conv1"), input);
        return ConvEmitter.ConvNormAct(context, children.Required<ConvNormAct>("conv2"), children.PathOf("conv2"), x);
    }

    private static string SelectiveKernelBottleneckBranch(ExportContext context, ChildModules children, string input)
    {
        string x = ConvEmitter.ConvNormAct(context, children.Required<ConvNormAct>("conv1"), children.PathOf("conv1"), input);
        x = AttentionEmitter.SelectiveKernel(context, children.Required<SelectiveKernel>("conv2"), children.PathOf("conv2"), x);
        return ConvEmitter.ConvNormAct(context, children.Required<ConvNormAct>("conv3"), children.PathOf("conv3"), x);
    }

    /// <summary>The block's channel attention (<c>se</c>), which may be any module the exporter knows.</summary>
    private static string Attention(ExportContext context, ChildModules children, string input)
    {
        var se = children.Optional("se");
        return se is null ? input : ModuleEmitter.Emit(context, se, children.PathOf("se"), input);
    }

    private static string OptionalPool(ExportContext context, ChildModules children, string name, string input)
    {
        var pool = children.Optional<AvgPool2d>(name);
        return pool is null ? input : PoolEmitter.Average(context, pool, children.PathOf(name), input);
    }
}
