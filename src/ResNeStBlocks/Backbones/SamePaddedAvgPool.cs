using ResNeStBlocks.Description;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNeStBlocks.Backbones;

/// <summary>
/// A 2x2, stride-1 average pool that first zero-pads one column on the right and one row at the bottom,
/// so the output keeps the input's size (timm <c>AvgPool2dSame</c>, used by the avg-down shortcut of
/// dilated stages). The padded zeros count in the average, as in timm.
/// </summary>
internal sealed class SamePaddedAvgPool : nn.Module<Tensor, Tensor>, IDescribedModule
{
    public SamePaddedAvgPool() : base(nameof(SamePaddedAvgPool)) => Runtime.NativeRuntime.EnsureCpuChecked();

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var padded = nn.functional.pad(input, new long[] { 0, 1, 0, 1 });
        return nn.functional.avg_pool2d(padded, 2, 1, ceil_mode: true, count_include_pad: false).MoveToOuterDisposeScope();
    }

    /// <summary>One 2x2 stride-1 average whose bottom and right padding counts, as the explicit zeros do here.</summary>
    GraphValue IDescribedModule.Describe(ForwardGraph graph, GraphValue input) =>
        graph.AveragePool(input, new long[] { 2, 2 }, new long[] { 1, 1 }, new long[] { 0, 0, 1, 1 }, ceilMode: false, countIncludePad: true);
}
