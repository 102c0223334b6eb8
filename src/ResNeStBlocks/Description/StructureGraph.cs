using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using TorchSharp.Modules;

namespace ResNeStBlocks.Description;

/// <summary>
/// A graph that follows a description for its structure only (which layers, in which order, with which pairs), not
/// its values: every operation yields a fresh placeholder. Readers that only collect facts derive from it.
/// </summary>
internal abstract class StructureGraph : ForwardGraph
{
    private int next;

    /// <summary>A fresh placeholder value.</summary>
    protected GraphValue Fresh() => new("v" + next++);

    public override GraphValue Relu(GraphValue input) => Fresh();
    public override GraphValue Clip(GraphValue input, float min, float max) => Fresh();
    public override GraphValue Sigmoid(GraphValue input) => Fresh();
    public override GraphValue Silu(GraphValue input) => Fresh();
    public override GraphValue Gelu(GraphValue input, bool tanhApproximation) => Fresh();
    public override GraphValue Hardswish(GraphValue input) => Fresh();
    public override GraphValue Add(GraphValue left, GraphValue right) => Fresh();
    public override GraphValue Mul(GraphValue left, GraphValue right) => Fresh();
    public override GraphValue Sum(IReadOnlyList<GraphValue> values) => Fresh();
    public override IReadOnlyList<GraphValue> Split(GraphValue input, int parts, int axis = 1) => Enumerable.Range(0, parts).Select(_ => Fresh()).ToArray();
    public override GraphValue Concat(IReadOnlyList<GraphValue> values, int axis = 1) => Fresh();
    public override GraphValue Reshape(GraphValue input, params long[] shape) => Fresh();
    public override GraphValue Transpose(GraphValue input, params int[] permutation) => Fresh();
    public override GraphValue Flatten(GraphValue input) => Fresh();
    public override GraphValue ReduceSum(GraphValue input, int axis) => Fresh();
    public override GraphValue Softmax(GraphValue input, int axis) => Fresh();
    public override GraphValue GlobalAveragePool(GraphValue input) => Fresh();
    public override GraphValue AveragePool(GraphValue input, long[] kernel, long[] stride, long[] padding, bool ceilMode, bool countIncludePad) => Fresh();
    public override GraphValue MaxPool(GraphValue input, long[] kernel, long[] stride, long[] padding, long[] dilation, bool ceilMode) => Fresh();
    public override GraphValue AdaptiveAveragePool(GraphValue input, long height, long width) => Fresh();
    public override GraphValue Resize(GraphValue input, GraphValue sizeOf, ResizeMode mode, bool alignCorners) => Fresh();
    public override GraphValue Resize(GraphValue input, long height, long width, ResizeMode mode, bool alignCorners) => Fresh();
    public override GraphValue ResizeByScale(GraphValue input, double heightScale, double widthScale, ResizeMode mode, bool alignCorners) => Fresh();
    protected override GraphValue OnConvolution(Conv2d convolution, string convolutionPath, GraphValue input, BatchNorm2d? norm, string? normPath, Activation activation) => Fresh();
    protected override GraphValue OnBatchNorm(BatchNorm2d norm, string path, GraphValue input) => Fresh();
    protected override GraphValue OnLinear(Linear linear, string path, GraphValue input) => Fresh();

    /// <summary>Describes <paramref name="module"/> applied to <paramref name="input"/>, whether it has one output or several.</summary>
    protected void Walk(torch.nn.Module module, GraphValue input)
    {
        if (module is IDescribedOutputs outputs && module is not IDescribedModule)
            DescribeRoot(module, () => outputs.DescribeOutputs(this, input));
        else
            DescribeRoot(module, input);
    }
}
