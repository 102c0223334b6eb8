using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using ResNeStBlocks.Description;
using ResNeStBlocks.Onnx.Graph;
using TorchSharp;
using TorchSharp.Modules;

namespace ResNeStBlocks.Onnx.Export;

/// <summary>
/// Turns module descriptions into ONNX nodes: each operation of <see cref="ForwardGraph"/> becomes the nodes that
/// compute it in opset 17, named after the module path that produced them. Spatial sizes stay symbolic (resizes read
/// them with Shape nodes), so one graph serves every input size the model accepts.
/// </summary>
internal sealed class OnnxForwardGraph : ForwardGraph
{
    private readonly ConvEmitter convolutions;

    public OnnxForwardGraph(OnnxGraphBuilder builder, bool foldBatchNorm)
    {
        Builder = builder;
        convolutions = new ConvEmitter(builder, foldBatchNorm);
    }

    public OnnxGraphBuilder Builder { get; }

    /// <summary>Describes <paramref name="model"/> on the graph input <paramref name="input"/>; returns the graph outputs.</summary>
    public IReadOnlyList<NamedValue> Outputs(torch.nn.Module model, string input, Func<ForwardGraph, GraphValue, IReadOnlyList<NamedValue>>? body)
    {
        var value = new GraphValue(input);
        if (body is not null)
            return DescribeRoot(model, () => body(this, value));
        if (model is IDescribedOutputs outputs and not IDescribedModule)
            return DescribeRoot(model, () => outputs.DescribeOutputs(this, value));
        return new[] { new NamedValue(OnnxExporter.FeaturesOutput, DescribeRoot(model, value)) };
    }

    protected override GraphValue Undescribed(torch.nn.Module module, string path, GraphValue input) =>
        throw OnnxExportErrors.Unsupported(module, path);

    protected override GraphValue OnConvolution(Conv2d convolution, string convolutionPath, GraphValue input, BatchNorm2d? norm, string? normPath, Activation activation)
    {
        string output = convolutions.Convolution(convolution, convolutionPath, norm, normPath, input.Id);
        return activation == Activation.Relu ? NodeAt("Relu", convolutionPath, output) : new GraphValue(output);
    }

    protected override GraphValue OnBatchNorm(BatchNorm2d norm, string path, GraphValue input) =>
        new(convolutions.BatchNormalization(norm, path, input.Id));

    protected override GraphValue OnLinear(Linear linear, string path, GraphValue input)
    {
        var inputs = new List<string> { input.Id, Builder.Weight(path + ".weight", TensorValues.ToFloat(TensorValues.Read(linear.weight)), linear.weight.shape) };
        if (linear.bias is not null)
            inputs.Add(Builder.Weight(path + ".bias", TensorValues.ToFloat(TensorValues.Read(linear.bias)), linear.bias.shape));
        return new(Builder.Node("Gemm", path, inputs, Attr.Int("transB", 1)));
    }

    public override GraphValue Relu(GraphValue input) => Node("Relu", input.Id);

    public override GraphValue Clip(GraphValue input, float min, float max) =>
        Node("Clip", input.Id, Builder.Float32Scalar(min), Builder.Float32Scalar(max));

    public override GraphValue Sigmoid(GraphValue input) => Node("Sigmoid", input.Id);

    public override GraphValue Silu(GraphValue input) => Mul(input, Sigmoid(input));

    public override GraphValue Gelu(GraphValue input, bool tanhApproximation)
    {
        // Opset 17 has no Gelu node: 0.5 x (1 + erf(x / sqrt 2)), or 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))).
        string x = input.Id;
        string inner = tanhApproximation
            ? Node("Tanh", Node("Mul", Node("Add", x, Node("Mul", Node("Pow", x, Builder.Float32Scalar(3)).Id, Builder.Float32Scalar(0.044715f)).Id).Id,
                Builder.Float32Scalar((float)Math.Sqrt(2 / Math.PI))).Id).Id
            : Node("Erf", Node("Div", x, Builder.Float32Scalar((float)Math.Sqrt(2))).Id).Id;
        string onePlus = Node("Add", inner, Builder.Float32Scalar(1)).Id;
        return Node("Mul", Node("Mul", x, onePlus).Id, Builder.Float32Scalar(0.5f));
    }

    public override GraphValue Hardswish(GraphValue input) => Node("HardSwish", input.Id);

    public override GraphValue Add(GraphValue left, GraphValue right) => Node("Add", left.Id, right.Id);

    public override GraphValue Mul(GraphValue left, GraphValue right) => Node("Mul", left.Id, right.Id);

    public override GraphValue Sum(IReadOnlyList<GraphValue> values) =>
        values.Count == 1 ? values[0] : new(Builder.Node("Sum", CurrentPath, values.Select(v => v.Id)));

    public override IReadOnlyList<GraphValue> Split(GraphValue input, int parts, int axis = 1) =>
        parts == 1 ? new[] { input }
            : Builder.NodeOutputs("Split", CurrentPath, new[] { input.Id }, parts, Attr.Int("axis", axis)).Select(name => new GraphValue(name)).ToArray();

    public override GraphValue Concat(IReadOnlyList<GraphValue> values, int axis = 1) =>
        values.Count == 1 ? values[0] : new(Builder.Node("Concat", CurrentPath, values.Select(v => v.Id), Attr.Int("axis", axis)));

    public override GraphValue Reshape(GraphValue input, params long[] shape) => Node("Reshape", input.Id, Builder.Int64s(shape));

    public override GraphValue Transpose(GraphValue input, params int[] permutation) =>
        new(Builder.Node("Transpose", CurrentPath, new[] { input.Id }, Attr.Ints("perm", permutation)));

    public override GraphValue Flatten(GraphValue input) => new(Builder.Node("Flatten", CurrentPath, new[] { input.Id }, Attr.Int("axis", 1)));

    public override GraphValue ReduceSum(GraphValue input, int axis) =>
        new(Builder.Node("ReduceSum", CurrentPath, new[] { input.Id, Builder.Int64s(axis) }, Attr.Int("keepdims", 0)));

    public override GraphValue Softmax(GraphValue input, int axis) => new(Builder.Node("Softmax", CurrentPath, new[] { input.Id }, Attr.Int("axis", axis)));

    public override GraphValue GlobalAveragePool(GraphValue input) => Node("GlobalAveragePool", input.Id);

    public override GraphValue AveragePool(GraphValue input, long[] kernel, long[] stride, long[] padding, bool ceilMode, bool countIncludePad) =>
        new(Builder.Node("AveragePool", CurrentPath, new[] { input.Id },
            Attr.Ints("kernel_shape", kernel),
            Attr.Ints("strides", stride),
            Attr.Ints("pads", padding),
            Attr.Int("ceil_mode", ceilMode ? 1 : 0),
            Attr.Int("count_include_pad", countIncludePad ? 1 : 0)));

    public override GraphValue MaxPool(GraphValue input, long[] kernel, long[] stride, long[] padding, long[] dilation, bool ceilMode) =>
        new(Builder.Node("MaxPool", CurrentPath, new[] { input.Id },
            Attr.Ints("kernel_shape", kernel),
            Attr.Ints("strides", stride),
            Attr.Ints("pads", padding),
            Attr.Ints("dilations", dilation),
            Attr.Int("ceil_mode", ceilMode ? 1 : 0)));

    /// <summary>
    /// [N, C, H, W] viewed as [N, C, h, H / h, w, W / w] and averaged over the window axes: adaptive pooling for sizes that
    /// h and w divide, with H and W read at run time.
    /// </summary>
    public override GraphValue AdaptiveAveragePool(GraphValue input, long height, long width)
    {
        string shape = Node("Shape", input.Id).Id;
        string windowHeight = Node("Div", Slice(shape, 2, 3), Builder.Int64s(height)).Id;
        string windowWidth = Node("Div", Slice(shape, 3, 4), Builder.Int64s(width)).Id;
        string blocks = new GraphValue(Builder.Node("Concat", CurrentPath,
            new[] { Builder.Int64s(0, 0, height), windowHeight, Builder.Int64s(width), windowWidth }, Attr.Int("axis", 0))).Id;
        string windows = Node("Reshape", input.Id, blocks).Id;
        return new(Builder.Node("ReduceMean", CurrentPath, new[] { windows }, Attr.Ints("axes", 3, 5), Attr.Int("keepdims", 0)));
    }

    public override GraphValue Resize(GraphValue input, GraphValue sizeOf, ResizeMode mode, bool alignCorners)
    {
        string sizes = new GraphValue(Builder.Node("Concat", CurrentPath,
            new[] { Slice(Node("Shape", input.Id).Id, 0, 2), Slice(Node("Shape", sizeOf.Id).Id, 2, 4) }, Attr.Int("axis", 0))).Id;
        return ResizeNode(input, "", sizes, mode, alignCorners);
    }

    public override GraphValue Resize(GraphValue input, long height, long width, ResizeMode mode, bool alignCorners)
    {
        string sizes = new GraphValue(Builder.Node("Concat", CurrentPath,
            new[] { Slice(Node("Shape", input.Id).Id, 0, 2), Builder.Int64s(height, width) }, Attr.Int("axis", 0))).Id;
        return ResizeNode(input, "", sizes, mode, alignCorners);
    }

    public override GraphValue ResizeByScale(GraphValue input, double heightScale, double widthScale, ResizeMode mode, bool alignCorners) =>
        ResizeNode(input, Builder.Float32s(1, 1, (float)heightScale, (float)widthScale), "", mode, alignCorners);

    /// <summary>
    /// ONNX Resize with PyTorch's coordinate rules: nearest takes <c>floor(out * in / out_size)</c> (asymmetric, floor);
    /// bilinear maps pixel centres (pytorch_half_pixel) or corners (align_corners).
    /// </summary>
    private GraphValue ResizeNode(GraphValue input, string scales, string sizes, ResizeMode mode, bool alignCorners)
    {
        var inputs = new List<string> { input.Id, "", scales };
        if (sizes.Length > 0)
            inputs.Add(sizes);
        var attributes = mode == ResizeMode.Nearest
            ? new[] { Attr.String("mode", "nearest"), Attr.String("coordinate_transformation_mode", "asymmetric"), Attr.String("nearest_mode", "floor") }
            : new[] { Attr.String("mode", "linear"), Attr.String("coordinate_transformation_mode", alignCorners ? "align_corners" : "pytorch_half_pixel") };
        return new(Builder.Node("Resize", CurrentPath, inputs, attributes));
    }

    private string Slice(string shape, long start, long end) =>
        Builder.Node("Slice", CurrentPath, new[] { shape, Builder.Int64s(start), Builder.Int64s(end) });

    private GraphValue Node(string opType, params string[] inputs) => new(Builder.Node(opType, CurrentPath, inputs));

    private GraphValue NodeAt(string opType, string path, string input) => new(Builder.Node(opType, path, new[] { input }));
}
