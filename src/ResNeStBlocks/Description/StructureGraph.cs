using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ResNeStBlocks.Description;

/// <summary>
/// A graph that follows a description for its structure only (which layers, in which order, with which pairs), not
/// its values: every operation yields a fresh placeholder. Readers that only collect facts derive from it.
/// </summary>
internal abstract class StructureGraph : ForwardGraph
{
    private protected override GraphValue OnTensor(Tensor tensor, string path) => Fresh();
    private protected override GraphValue OnConstant(double[] values, long[] shape) => Fresh();
    private protected override GraphValue OnUnary(UnaryOperation operation, GraphValue input) => Fresh();
    private protected override GraphValue OnBinary(BinaryOperation operation, GraphValue left, GraphValue right) => Fresh();
    private protected override GraphValue OnReduce(ReduceOperation operation, GraphValue input, int[] axes, bool keepDim) => Fresh();
    private protected override GraphValue OnClip(GraphValue input, float min, float max) => Fresh();
    private protected override GraphValue OnGelu(GraphValue input, bool tanhApproximation) => Fresh();
    private protected override GraphValue OnPow(GraphValue input, double exponent) => Fresh();
    private protected override GraphValue OnSum(IReadOnlyList<GraphValue> values) => Fresh();
    private protected override IReadOnlyList<GraphValue> OnSplit(GraphValue input, int parts, int axis) => Enumerable.Range(0, parts).Select(_ => Fresh()).ToArray();
    private protected override GraphValue OnSlice(GraphValue input, int axis, long start, long end, long step) => Fresh();
    private protected override GraphValue OnConcat(IReadOnlyList<GraphValue> values, int axis) => Fresh();
    private protected override GraphValue OnReshape(GraphValue input, long[] shape) => Fresh();
    private protected override GraphValue OnUnflatten(GraphValue input, int axis, long[] sizes) => Fresh();
    private protected override GraphValue OnTranspose(GraphValue input, int[] permutation) => Fresh();
    private protected override GraphValue OnFlatten(GraphValue input) => Fresh();
    private protected override GraphValue OnSoftmax(GraphValue input, int axis) => Fresh();
    private protected override GraphValue OnGlobalAveragePool(GraphValue input) => Fresh();
    private protected override GraphValue OnAveragePool(GraphValue input, long[] kernel, long[] stride, long[] padding, bool ceilMode, bool countIncludePad) => Fresh();
    private protected override GraphValue OnMaxPool(GraphValue input, long[] kernel, long[] stride, long[] padding, long[] dilation, bool ceilMode) => Fresh();
    private protected override GraphValue OnAdaptiveAveragePool(GraphValue input, long height, long width) => Fresh();
    private protected override GraphValue OnResize(GraphValue input, GraphValue sizeOf, ResizeMode mode, bool alignCorners) => Fresh();
    private protected override GraphValue OnResize(GraphValue input, long height, long width, ResizeMode mode, bool alignCorners) => Fresh();
    private protected override GraphValue OnResizeByScale(GraphValue input, double heightScale, double widthScale, ResizeMode mode, bool alignCorners) => Fresh();
    private protected override GraphValue OnGroupNorm(GroupNorm norm, string path, GraphValue input) => Fresh();
    private protected override GraphValue OnLayerNorm(LayerNorm norm, string path, GraphValue input) => Fresh();
    private protected override GraphValue OnTransposedConvolution(ConvTranspose2d convolution, string path, GraphValue input) => Fresh();
    protected override GraphValue OnConvolution(Conv2d convolution, string convolutionPath, GraphValue input, BatchNorm2d? norm, string? normPath, Activation activation) => Fresh();
    protected override GraphValue OnBatchNorm(BatchNorm2d norm, string path, GraphValue input) => Fresh();
    protected override GraphValue OnLinear(Linear linear, string path, GraphValue input) => Fresh();

    /// <summary>Describes <paramref name="module"/> applied to <paramref name="input"/>, whether it has one output or several.</summary>
    protected void Walk(torch.nn.Module module, GraphValue input)
    {
        if (module is IDescribedOutputs outputs && module is not IDescribedModule)
            DescribeRootOutputs(module, () => outputs.DescribeOutputs(this, input));
        else
            DescribeRoot(module, input);
    }
}
