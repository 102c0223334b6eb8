using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ResNeStBlocks.Description;

/// <summary>
/// Computes a description with TorchSharp operations: each value is a tensor, each operation computes what the ONNX
/// exporter would emit for it (eval semantics: BatchNorm with its running statistics, unfolded). Run under
/// <c>no_grad</c> inside the caller's dispose scope; the module is only read.
/// </summary>
/// <remarks>
/// With a <see cref="Diagnosis"/>, every child applied with <see cref="ForwardGraph.Call"/> is also run by its own
/// forward on the same input, and the first (innermost, earliest) child whose output differs is recorded.
/// </remarks>
internal sealed class EagerGraph : ForwardGraph
{
    // Subtraction as a.add(b, -1): TorchSharp's sub(Tensor) has no overload that takes a held alpha.
    private static readonly Scalar MinusOne = -1;

    private readonly Dictionary<string, Tensor> tensors = new(StringComparer.Ordinal);
    private readonly ScalarType dtype;
    private readonly Device device;
    private readonly Diagnosis? diagnosis;

    public EagerGraph(ScalarType dtype, Device device, Diagnosis? diagnosis = null)
    {
        this.dtype = dtype;
        this.device = device;
        this.diagnosis = diagnosis;
    }

    /// <summary>The outputs of <paramref name="describe"/> (or of the module's own description) on <paramref name="input"/>.</summary>
    public IReadOnlyList<(string Name, Tensor Value)> Run(torch.nn.Module module, Tensor input, Func<ForwardGraph, GraphValue, IReadOnlyList<NamedValue>>? describe)
    {
        var x = Define(input);
        IReadOnlyList<NamedValue> outputs;
        if (describe is not null)
            outputs = DescribeRootOutputs(module, () => describe(this, x));
        else if (module is IDescribedOutputs several and not IDescribedModule)
            outputs = DescribeRootOutputs(module, () => several.DescribeOutputs(this, x));
        else
            outputs = new[] { new NamedValue("", DescribeRoot(module, x)) };
        return outputs.Select(output => (output.Name, Of(output.Value))).ToArray();
    }

    private protected override GraphValue OnCall(torch.nn.Module child, string path, GraphValue input, Func<GraphValue> describe)
    {
        var output = describe();
        if (diagnosis is { First: null } && child is torch.nn.Module<Tensor, Tensor> single)
        {
            // A clone, so that a forward that works in place cannot change the description's value.
            using var expected = single.call(Of(input).clone());
            var difference = Comparison.Of(Of(output), expected);
            if (!difference.Within(diagnosis.Tolerance))
                diagnosis.First = new Mismatch(path, child.GetType(), difference);
        }
        return output;
    }

    protected override GraphValue OnConvolution(Conv2d convolution, string convolutionPath, GraphValue input, BatchNorm2d? norm, string? normPath, Activation activation)
    {
        var y = convolution.call(Of(input));
        if (norm is not null)
            y = Normalize(norm, normPath!, y);
        return Define(activation == Activation.Relu ? y.relu() : y);
    }

    protected override GraphValue OnBatchNorm(BatchNorm2d norm, string path, GraphValue input) => Define(Normalize(norm, path, Of(input)));

    protected override GraphValue OnLinear(Linear linear, string path, GraphValue input) => Define(linear.call(Of(input)));

    private protected override GraphValue OnTensor(Tensor tensor, string path) => Define(tensor.detach());

    private protected override GraphValue OnConstant(double[] values, long[] shape) =>
        Define(tensor(values, dtype: ScalarType.Float64).reshape(shape).to(dtype, device));

    private protected override GraphValue OnUnary(UnaryOperation operation, GraphValue input)
    {
        var x = Of(input);
        return Define(operation switch
        {
            UnaryOperation.Relu => x.relu(),
            UnaryOperation.Sigmoid => x.sigmoid(),
            UnaryOperation.Silu => nn.functional.silu(x),
            UnaryOperation.Hardswish => nn.functional.hardswish(x),
            UnaryOperation.Tanh => x.tanh(),
            UnaryOperation.Exp => x.exp(),
            UnaryOperation.Log => x.log(),
            UnaryOperation.Abs => x.abs(),
            UnaryOperation.Neg => x.neg(),
            UnaryOperation.Sqrt => x.sqrt(),
            _ => throw new ArgumentOutOfRangeException(nameof(operation), operation, null),
        });
    }

    private protected override GraphValue OnBinary(BinaryOperation operation, GraphValue left, GraphValue right)
    {
        Tensor a = Of(left), b = Of(right);
        return Define(operation switch
        {
            BinaryOperation.Add => a.add(b, HeldScalars.One),
            BinaryOperation.Sub => a.add(b, MinusOne),
            BinaryOperation.Mul => a.mul(b),
            BinaryOperation.Div => a.div(b),
            BinaryOperation.Maximum => a.maximum(b),
            BinaryOperation.Minimum => a.minimum(b),
            _ => throw new ArgumentOutOfRangeException(nameof(operation), operation, null),
        });
    }

    private protected override GraphValue OnReduce(ReduceOperation operation, GraphValue input, int[] axes, bool keepDim)
    {
        var x = Of(input);
        long[] dims = axes.Select(axis => (long)axis).ToArray();
        return Define(operation switch
        {
            ReduceOperation.Sum => x.sum(dims, keepDim),
            ReduceOperation.Mean => x.mean(dims, keepDim),
            ReduceOperation.Max => x.amax(dims, keepDim),
            _ => throw new ArgumentOutOfRangeException(nameof(operation), operation, null),
        });
    }

    private protected override GraphValue OnClip(GraphValue input, float min, float max)
    {
        using var low = ((double)min).ToScalar();
        using var high = ((double)max).ToScalar();
        return Define(Of(input).clamp(low, high));
    }

    private protected override GraphValue OnGelu(GraphValue input, bool tanhApproximation) =>
        Define(nn.functional.gelu(Of(input), tanhApproximation ? GELU.Approximate.tanh : GELU.Approximate.none));

    private protected override GraphValue OnPow(GraphValue input, double exponent)
    {
        using var power = exponent.ToScalar();
        return Define(Of(input).pow(power));
    }

    private protected override GraphValue OnSum(IReadOnlyList<GraphValue> values)
    {
        var total = Of(values[0]);
        for (int i = 1; i < values.Count; i++)
            total = total.add(Of(values[i]), HeldScalars.One);
        return Define(total);
    }

    private protected override IReadOnlyList<GraphValue> OnSplit(GraphValue input, int parts, int axis)
    {
        var x = Of(input);
        long size = x.shape[Axis(axis, x.dim())];
        if (size % parts != 0)
            throw new NotSupportedException(
                $"{Where()} splits an axis of size {size} into {parts} parts; a description's Split cuts equal parts, so {parts} must divide {size}.");
        return x.chunk(parts, axis).Select(Define).ToArray();
    }

    private protected override GraphValue OnSlice(GraphValue input, int axis, long start, long end, long step) =>
        Define(Of(input).slice(axis, start, end, step));

    private protected override GraphValue OnConcat(IReadOnlyList<GraphValue> values, int axis) =>
        Define(cat(values.Select(Of).ToList(), axis));

    private protected override GraphValue OnReshape(GraphValue input, long[] shape)
    {
        var x = Of(input);
        return Define(x.reshape(shape.Select((size, i) => size == 0 ? x.shape[i] : size).ToArray()));
    }

    private protected override GraphValue OnUnflatten(GraphValue input, int axis, long[] sizes)
    {
        var x = Of(input);
        int at = Axis(axis, x.dim());
        return Define(x.reshape(x.shape.Take(at).Concat(sizes).Concat(x.shape.Skip(at + 1)).ToArray()));
    }

    private protected override GraphValue OnTranspose(GraphValue input, int[] permutation) =>
        Define(Of(input).permute(permutation.Select(axis => (long)axis).ToArray()));

    private protected override GraphValue OnFlatten(GraphValue input) => Define(Of(input).flatten(1));

    private protected override GraphValue OnSoftmax(GraphValue input, int axis) => Define(Of(input).softmax(axis));

    private protected override GraphValue OnGlobalAveragePool(GraphValue input) => Define(Of(input).mean(new long[] { 2, 3 }, keepdim: true));

    private protected override GraphValue OnAveragePool(GraphValue input, long[] kernel, long[] stride, long[] padding, bool ceilMode, bool countIncludePad)
    {
        var x = Of(input);
        if (padding[0] == padding[2] && padding[1] == padding[3])
            return Define(nn.functional.avg_pool2d(x, kernel, stride, new[] { padding[0], padding[1] }, ceilMode, countIncludePad));
        if (!countIncludePad)
            throw new NotSupportedException($"{Where()} averages over asymmetric padding without counting it, which has no eager equivalent here.");
        // Counted zero padding is the same as zeros placed around the map.
        var padded = nn.functional.pad(x, new[] { padding[1], padding[3], padding[0], padding[2] });
        return Define(nn.functional.avg_pool2d(padded, kernel, stride, new long[] { 0, 0 }, ceilMode, count_include_pad: true));
    }

    private protected override GraphValue OnMaxPool(GraphValue input, long[] kernel, long[] stride, long[] padding, long[] dilation, bool ceilMode)
    {
        var x = Of(input);
        if (padding[0] == padding[2] && padding[1] == padding[3])
            return Define(nn.functional.max_pool2d(x, kernel, stride, new[] { padding[0], padding[1] }, dilation, ceilMode));
        var padded = nn.functional.pad(x, new[] { padding[1], padding[3], padding[0], padding[2] }, PaddingModes.Constant, double.NegativeInfinity);
        return Define(nn.functional.max_pool2d(padded, kernel, stride, new long[] { 0, 0 }, dilation, ceilMode));
    }

    private protected override GraphValue OnAdaptiveAveragePool(GraphValue input, long height, long width)
    {
        var x = Of(input);
        if (x.shape[2] % height != 0 || x.shape[3] % width != 0)
            throw new NotSupportedException(
                $"{Where()} pools a {x.shape[2]}x{x.shape[3]} map adaptively to {height}x{width}; the description covers sizes that {height}x{width} divides. " +
                "Use an input size that it divides.");
        return Define(nn.functional.adaptive_avg_pool2d(x, new[] { height, width }));
    }

    private protected override GraphValue OnResize(GraphValue input, GraphValue sizeOf, ResizeMode mode, bool alignCorners)
    {
        var target = Of(sizeOf);
        return Resized(Of(input), new[] { target.shape[2], target.shape[3] }, null, mode, alignCorners);
    }

    private protected override GraphValue OnResize(GraphValue input, long height, long width, ResizeMode mode, bool alignCorners) =>
        Resized(Of(input), new[] { height, width }, null, mode, alignCorners);

    private protected override GraphValue OnResizeByScale(GraphValue input, double heightScale, double widthScale, ResizeMode mode, bool alignCorners) =>
        Resized(Of(input), null, new[] { heightScale, widthScale }, mode, alignCorners);

    private protected override GraphValue OnGroupNorm(GroupNorm norm, string path, GraphValue input)
    {
        var x = Of(input);
        // The exported graph applies the per-channel affine map to [N, C, H, W]; other ranks are refused in both.
        if (x.dim() != 4)
            throw new NotSupportedException($"The GroupNorm at {ModuleDescriptions.Describe(path)} is described for [N, C, H, W] inputs; it got {x.dim()} dimensions.");
        return Define(nn.functional.group_norm(x, norm.num_groups, norm.weight, norm.bias, norm.eps));
    }

    private protected override GraphValue OnLayerNorm(LayerNorm norm, string path, GraphValue input) =>
        Define(nn.functional.layer_norm(Of(input), norm.normalized_shape, norm.weight, norm.bias, norm.eps));

    private protected override GraphValue OnTransposedConvolution(ConvTranspose2d convolution, string path, GraphValue input) =>
        Define(convolution.call(Of(input)));

    private GraphValue Resized(Tensor x, long[]? size, double[]? scale, ResizeMode mode, bool alignCorners) =>
        Define(nn.functional.interpolate(x, size, scale, mode == ResizeMode.Nearest ? InterpolationMode.Nearest : InterpolationMode.Bilinear,
            mode == ResizeMode.Nearest ? null : alignCorners));

    private static Tensor Normalize(BatchNorm2d norm, string path, Tensor x)
    {
        if (norm.running_mean is null || norm.running_var is null)
            throw new NotSupportedException(
                $"The BatchNorm at {ModuleDescriptions.Describe(path)} keeps no running statistics (track_running_stats = false), so it has no eval transform to describe.");
        return nn.functional.batch_norm(x, norm.running_mean, norm.running_var, norm.weight, norm.bias, training: false, eps: norm.eps);
    }

    private static int Axis(int axis, long rank) => axis < 0 ? (int)(axis + rank) : axis;

    private string Where() => $"The description of {ModuleDescriptions.Describe(CurrentPath)} ({CurrentModule.GetType().Name})";

    private GraphValue Define(Tensor value)
    {
        var defined = Fresh();
        tensors[defined.Id] = value;
        return defined;
    }

    private Tensor Of(GraphValue value) => tensors[value.Id];

    /// <summary>What the diagnosis pass found: the first called child whose forward differs from its description.</summary>
    internal sealed class Diagnosis
    {
        public Diagnosis(double tolerance) => Tolerance = tolerance;

        public double Tolerance { get; }

        public Mismatch? First { get; set; }
    }

    /// <summary>A module whose description and forward differ.</summary>
    internal sealed record Mismatch(string Path, Type ModuleType, Comparison Difference);
}
