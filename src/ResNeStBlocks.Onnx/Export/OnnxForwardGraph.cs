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

    /// <summary>Values computed by a fully connected layer: a single such output is a classifier's <c>logits</c>.</summary>
    private readonly HashSet<GraphValue> linearOutputs = new();

    /// <summary>Parameters and buffers read so far, by state-dict key, so that one read twice is stored once.</summary>
    private readonly Dictionary<string, GraphValue> tensors = new(StringComparer.Ordinal);

    /// <summary>
    /// Describes <paramref name="model"/> on the graph input <paramref name="input"/>; returns the graph outputs. A single
    /// output computed by a fully connected layer (a classifier) is <c>logits</c>, any other single output <c>features</c>.
    /// </summary>
    public IReadOnlyList<NamedValue> Outputs(torch.nn.Module model, string input, Func<ForwardGraph, GraphValue, IReadOnlyList<NamedValue>>? body)
    {
        var value = Value(input);
        if (body is not null)
            return DescribeRootOutputs(model, () => body(this, value));
        if (model is IDescribedOutputs outputs and not IDescribedModule)
            return DescribeRootOutputs(model, () => outputs.DescribeOutputs(this, value));
        var output = DescribeRoot(model, value);
        return new[] { new NamedValue(linearOutputs.Contains(output) ? OnnxExporter.LogitsOutput : OnnxExporter.FeaturesOutput, output) };
    }

    /// <summary>
    /// Describes <paramref name="model"/> through <paramref name="body"/>, which mixes the model's descriptions with nodes it
    /// adds itself (a detector's post-processing); every child must be described or omitted, as for any root.
    /// </summary>
    public IReadOnlyList<NamedValue> DescribeComposite(torch.nn.Module model, Func<IReadOnlyList<NamedValue>> body) => DescribeRootOutputs(model, body);

    /// <summary>A value of this graph for a node output that the caller added to <see cref="Builder"/> itself.</summary>
    public GraphValue Wrap(string id) => Value(id);

    protected override GraphValue Undescribed(torch.nn.Module module, string path, GraphValue input) =>
        throw OnnxExportErrors.Unsupported(module, path);

    protected override GraphValue OnConvolution(Conv2d convolution, string convolutionPath, GraphValue input, BatchNorm2d? norm, string? normPath, Activation activation)
    {
        string output = convolutions.Convolution(convolution, convolutionPath, norm, normPath, input.Id);
        return activation == Activation.Relu ? Value(Builder.Node("Relu", convolutionPath, new[] { output })) : Value(output);
    }

    protected override GraphValue OnBatchNorm(BatchNorm2d norm, string path, GraphValue input) =>
        Value(convolutions.BatchNormalization(norm, path, input.Id));

    protected override GraphValue OnLinear(Linear linear, string path, GraphValue input)
    {
        var inputs = new List<string> { input.Id, Builder.Weight(path + ".weight", TensorValues.ToFloat(TensorValues.Read(linear.weight)), linear.weight.shape) };
        if (linear.bias is not null)
            inputs.Add(Builder.Weight(path + ".bias", TensorValues.ToFloat(TensorValues.Read(linear.bias)), linear.bias.shape));
        var output = Value(Builder.Node("Gemm", path, inputs, Attr.Int("transB", 1)));
        linearOutputs.Add(output);
        return output;
    }

    private protected override GraphValue OnTensor(torch.Tensor tensor, string path)
    {
        if (!tensors.TryGetValue(path, out var value))
            tensors[path] = value = Value(Builder.Weight(path, TensorValues.ToFloat(TensorValues.Read(tensor)), tensor.shape));
        return value;
    }

    private protected override GraphValue OnConstant(double[] values, long[] shape) =>
        Value(shape.Length == 0 ? Builder.Float32Scalar((float)values[0]) : Builder.Float32Tensor(TensorValues.ToFloat(values), shape));

    private protected override GraphValue OnUnary(UnaryOperation operation, GraphValue input) => operation switch
    {
        UnaryOperation.Relu => Node("Relu", input.Id),
        UnaryOperation.Sigmoid => Node("Sigmoid", input.Id),
        UnaryOperation.Silu => Node("Mul", input.Id, Node("Sigmoid", input.Id).Id),
        UnaryOperation.Hardswish => Node("HardSwish", input.Id),
        UnaryOperation.Tanh => Node("Tanh", input.Id),
        UnaryOperation.Exp => Node("Exp", input.Id),
        UnaryOperation.Log => Node("Log", input.Id),
        UnaryOperation.Abs => Node("Abs", input.Id),
        UnaryOperation.Neg => Node("Neg", input.Id),
        UnaryOperation.Sqrt => Node("Sqrt", input.Id),
        _ => throw new ArgumentOutOfRangeException(nameof(operation), operation, null),
    };

    private protected override GraphValue OnBinary(BinaryOperation operation, GraphValue left, GraphValue right) => operation switch
    {
        BinaryOperation.Add => Node("Add", left.Id, right.Id),
        BinaryOperation.Sub => Node("Sub", left.Id, right.Id),
        BinaryOperation.Mul => Node("Mul", left.Id, right.Id),
        BinaryOperation.Div => Node("Div", left.Id, right.Id),
        BinaryOperation.Maximum => Node("Max", left.Id, right.Id),
        BinaryOperation.Minimum => Node("Min", left.Id, right.Id),
        _ => throw new ArgumentOutOfRangeException(nameof(operation), operation, null),
    };

    /// <summary>Opset 17: ReduceSum takes its axes as an input, ReduceMean and ReduceMax as an attribute.</summary>
    private protected override GraphValue OnReduce(ReduceOperation operation, GraphValue input, int[] axes, bool keepDim) => operation switch
    {
        ReduceOperation.Sum => Value(Builder.Node("ReduceSum", CurrentPath, new[] { input.Id, Builder.Int64s(axes.Select(axis => (long)axis).ToArray()) },
            Attr.Int("keepdims", keepDim ? 1 : 0))),
        ReduceOperation.Mean => Value(Builder.Node("ReduceMean", CurrentPath, new[] { input.Id }, Attr.Ints("axes", axes), Attr.Int("keepdims", keepDim ? 1 : 0))),
        ReduceOperation.Max => Value(Builder.Node("ReduceMax", CurrentPath, new[] { input.Id }, Attr.Ints("axes", axes), Attr.Int("keepdims", keepDim ? 1 : 0))),
        _ => throw new ArgumentOutOfRangeException(nameof(operation), operation, null),
    };

    private protected override GraphValue OnClip(GraphValue input, float min, float max) =>
        Node("Clip", input.Id, Builder.Float32Scalar(min), Builder.Float32Scalar(max));

    private protected override GraphValue OnGelu(GraphValue input, bool tanhApproximation)
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

    private protected override GraphValue OnPow(GraphValue input, double exponent) => Node("Pow", input.Id, Builder.Float32Scalar((float)exponent));

    private protected override GraphValue OnSum(IReadOnlyList<GraphValue> values) =>
        values.Count == 1 ? values[0] : Value(Builder.Node("Sum", CurrentPath, values.Select(v => v.Id)));

    private protected override IReadOnlyList<GraphValue> OnSplit(GraphValue input, int parts, int axis) =>
        parts == 1 ? new[] { input }
            : Builder.NodeOutputs("Split", CurrentPath, new[] { input.Id }, parts, Attr.Int("axis", axis)).Select(Value).ToArray();

    /// <summary>ONNX Slice clamps its bounds to the axis as PyTorch's slicing does.</summary>
    private protected override GraphValue OnSlice(GraphValue input, int axis, long start, long end, long step) =>
        Node("Slice", input.Id, Builder.Int64s(start), Builder.Int64s(end), Builder.Int64s(axis), Builder.Int64s(step));

    private protected override GraphValue OnConcat(IReadOnlyList<GraphValue> values, int axis) =>
        values.Count == 1 ? values[0] : Value(Builder.Node("Concat", CurrentPath, values.Select(v => v.Id), Attr.Int("axis", axis)));

    private protected override GraphValue OnReshape(GraphValue input, long[] shape) => Node("Reshape", input.Id, Builder.Int64s(shape));

    /// <summary>The input's shape with axis <paramref name="axis"/> replaced by <paramref name="sizes"/>, read at run time.</summary>
    private protected override GraphValue OnUnflatten(GraphValue input, int axis, long[] sizes)
    {
        string shape = Node("Shape", input.Id).Id;
        var parts = new List<string> { Slice(shape, 0, axis), Builder.Int64s(sizes) };
        if (axis != -1)
            parts.Add(Slice(shape, axis + 1, long.MaxValue));
        string target = Builder.Node("Concat", CurrentPath, parts, Attr.Int("axis", 0));
        return Node("Reshape", input.Id, target);
    }

    private protected override GraphValue OnTranspose(GraphValue input, int[] permutation) =>
        Value(Builder.Node("Transpose", CurrentPath, new[] { input.Id }, Attr.Ints("perm", permutation)));

    private protected override GraphValue OnFlatten(GraphValue input) => Value(Builder.Node("Flatten", CurrentPath, new[] { input.Id }, Attr.Int("axis", 1)));

    private protected override GraphValue OnSoftmax(GraphValue input, int axis) => Value(Builder.Node("Softmax", CurrentPath, new[] { input.Id }, Attr.Int("axis", axis)));

    private protected override GraphValue OnGlobalAveragePool(GraphValue input) => Node("GlobalAveragePool", input.Id);

    private protected override GraphValue OnAveragePool(GraphValue input, long[] kernel, long[] stride, long[] padding, bool ceilMode, bool countIncludePad) =>
        Value(Builder.Node("AveragePool", CurrentPath, new[] { input.Id },
            Attr.Ints("kernel_shape", kernel),
            Attr.Ints("strides", stride),
            Attr.Ints("pads", padding),
            Attr.Int("ceil_mode", ceilMode ? 1 : 0),
            Attr.Int("count_include_pad", countIncludePad ? 1 : 0)));

    private protected override GraphValue OnMaxPool(GraphValue input, long[] kernel, long[] stride, long[] padding, long[] dilation, bool ceilMode) =>
        Value(Builder.Node("MaxPool", CurrentPath, new[] { input.Id },
            Attr.Ints("kernel_shape", kernel),
            Attr.Ints("strides", stride),
            Attr.Ints("pads", padding),
            Attr.Ints("dilations", dilation),
            Attr.Int("ceil_mode", ceilMode ? 1 : 0)));

    /// <summary>
    /// GroupNorm has no node in opset 17: [N, C, H, W] viewed as [N, G, C / G * H * W], normalised over the last axis with
    /// the biased variance, viewed back, then scaled and shifted per channel.
    /// </summary>
    private protected override GraphValue OnGroupNorm(GroupNorm norm, string path, GraphValue input)
    {
        string grouped = Node("Reshape", input.Id, Builder.Int64s(0, norm.num_groups, -1)).Id;
        string mean = Value(Builder.Node("ReduceMean", path, new[] { grouped }, Attr.Ints("axes", 2), Attr.Int("keepdims", 1))).Id;
        string centred = Node("Sub", grouped, mean).Id;
        string variance = Value(Builder.Node("ReduceMean", path, new[] { Node("Mul", centred, centred).Id }, Attr.Ints("axes", 2), Attr.Int("keepdims", 1))).Id;
        string deviation = Node("Sqrt", Node("Add", variance, Builder.Float32Scalar((float)norm.eps)).Id).Id;
        string normalised = Node("Reshape", Node("Div", centred, deviation).Id, Node("Shape", input.Id).Id).Id;
        if (norm.weight is null || norm.bias is null)
            return Value(normalised);
        long[] perChannel = { 1, norm.weight.shape[0], 1, 1 };
        string weight = Builder.Weight(path + ".weight", TensorValues.ToFloat(TensorValues.Read(norm.weight)), perChannel);
        string bias = Builder.Weight(path + ".bias", TensorValues.ToFloat(TensorValues.Read(norm.bias)), perChannel);
        return Node("Add", Node("Mul", normalised, weight).Id, bias);
    }

    /// <summary>Opset 17's LayerNormalization over the trailing axes; a layer without an affine map gets scale 1 and no bias.</summary>
    private protected override GraphValue OnLayerNorm(LayerNorm norm, string path, GraphValue input)
    {
        long[] shape = norm.normalized_shape;
        long count = shape.Aggregate(1L, (a, b) => a * b);
        string scale = norm.weight is null
            ? Builder.Float32Tensor(Enumerable.Repeat(1f, checked((int)count)).ToArray(), shape)
            : Builder.Weight(path + ".weight", TensorValues.ToFloat(TensorValues.Read(norm.weight)), shape);
        var inputs = new List<string> { input.Id, scale };
        if (norm.bias is not null)
            inputs.Add(Builder.Weight(path + ".bias", TensorValues.ToFloat(TensorValues.Read(norm.bias)), shape));
        return Value(Builder.Node("LayerNormalization", path, inputs, Attr.Int("axis", -shape.Length), Attr.Float("epsilon", (float)norm.eps)));
    }

    /// <summary>ConvTranspose with PyTorch's weight layout [C_in, C_out / groups, kH, kW], which is ONNX's.</summary>
    private protected override GraphValue OnTransposedConvolution(ConvTranspose2d convolution, string path, GraphValue input)
    {
        if (convolution.padding_mode != PaddingModes.Zeros)
            throw OnnxExportErrors.Setting(path, $"padding mode {convolution.padding_mode} (only zero padding is exported)");
        var inputs = new List<string> { input.Id, Builder.Weight(path + ".weight", TensorValues.ToFloat(TensorValues.Read(convolution.weight)), convolution.weight.shape) };
        if (convolution.bias is not null)
            inputs.Add(Builder.Weight(path + ".bias", TensorValues.ToFloat(TensorValues.Read(convolution.bias)), convolution.bias.shape));
        long[] padding = convolution.padding ?? new long[] { 0, 0 };
        return Value(Builder.Node("ConvTranspose", path, inputs,
            Attr.Ints("kernel_shape", convolution.kernel_size),
            Attr.Ints("strides", convolution.stride),
            Attr.Ints("pads", new[] { padding[0], padding[1], padding[0], padding[1] }),
            Attr.Ints("output_padding", convolution.output_padding),
            Attr.Ints("dilations", convolution.dilation),
            Attr.Int("group", convolution.groups)));
    }

    /// <summary>
    /// [N, C, H, W] viewed as [N, C, h, H / h, w, W / w] and averaged over the window axes: adaptive pooling for sizes that
    /// h and w divide, with H and W read at run time.
    /// </summary>
    private protected override GraphValue OnAdaptiveAveragePool(GraphValue input, long height, long width)
    {
        string shape = Node("Shape", input.Id).Id;
        string windowHeight = Node("Div", Slice(shape, 2, 3), Builder.Int64s(height)).Id;
        string windowWidth = Node("Div", Slice(shape, 3, 4), Builder.Int64s(width)).Id;
        string blocks = Builder.Node("Concat", CurrentPath,
            new[] { Builder.Int64s(0, 0, height), windowHeight, Builder.Int64s(width), windowWidth }, Attr.Int("axis", 0));
        string windows = Node("Reshape", input.Id, blocks).Id;
        return Value(Builder.Node("ReduceMean", CurrentPath, new[] { windows }, Attr.Ints("axes", 3, 5), Attr.Int("keepdims", 0)));
    }

    private protected override GraphValue OnResize(GraphValue input, GraphValue sizeOf, ResizeMode mode, bool alignCorners)
    {
        string sizes = Builder.Node("Concat", CurrentPath,
            new[] { Slice(Node("Shape", input.Id).Id, 0, 2), Slice(Node("Shape", sizeOf.Id).Id, 2, 4) }, Attr.Int("axis", 0));
        return ResizeNode(input, "", sizes, mode, alignCorners);
    }

    private protected override GraphValue OnResize(GraphValue input, long height, long width, ResizeMode mode, bool alignCorners)
    {
        string sizes = Builder.Node("Concat", CurrentPath,
            new[] { Slice(Node("Shape", input.Id).Id, 0, 2), Builder.Int64s(height, width) }, Attr.Int("axis", 0));
        return ResizeNode(input, "", sizes, mode, alignCorners);
    }

    private protected override GraphValue OnResizeByScale(GraphValue input, double heightScale, double widthScale, ResizeMode mode, bool alignCorners) =>
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
        return Value(Builder.Node("Resize", CurrentPath, inputs, attributes));
    }

    private string Slice(string shape, long start, long end) =>
        Builder.Node("Slice", CurrentPath, new[] { shape, Builder.Int64s(start), Builder.Int64s(end) });

    private GraphValue Node(string opType, params string[] inputs) => Value(Builder.Node(opType, CurrentPath, inputs));
}
