using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ResNeStBlocks.Description;

// The elementwise, shape and normalisation operations. Each public operation checks its operands (values of this
// graph, settings in range) and hands over to the reader's hook, so every reader sees only well-formed operations.
public abstract partial class ForwardGraph
{
    /// <summary>
    /// A parameter of the module being described (not of a child), such as a learned scale <c>alpha</c>. A description
    /// must read every parameter of its own module, or the module is refused naming the parameter.
    /// </summary>
    /// <param name="name">The parameter's name in the module (its state-dict key without the module's path).</param>
    /// <returns>The parameter's value.</returns>
    /// <exception cref="ArgumentException">The module has no parameter of its own with that name.</exception>
    public GraphValue Parameter(string name) => OnTensor(OwnTensor(name, buffer: false, out string path), path);

    /// <summary>
    /// A buffer of the module being described (not of a child), such as a fixed mean. A description must read every
    /// buffer of its own module, or the module is refused naming the buffer.
    /// </summary>
    /// <param name="name">The buffer's name in the module.</param>
    /// <returns>The buffer's value.</returns>
    /// <exception cref="ArgumentException">The module has no buffer of its own with that name.</exception>
    public GraphValue Buffer(string name) => OnTensor(OwnTensor(name, buffer: true, out string path), path);

    /// <summary>A float32 scalar constant, broadcast against any value (<c>Mul(x, Constant(0.5))</c>).</summary>
    /// <param name="value">The value; finite.</param>
    /// <returns>The constant.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The value is NaN or infinite.</exception>
    public GraphValue Constant(double value)
    {
        if (!double.IsFinite(value))
            throw new ArgumentOutOfRangeException(nameof(value), value, $"A constant must be finite, got {value}.");
        return OnConstant(new[] { value }, Array.Empty<long>());
    }

    /// <summary>A constant tensor (its values are copied now, as float32), broadcast as PyTorch does.</summary>
    /// <param name="value">The values, of any floating-point dtype and device.</param>
    /// <returns>The constant.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="value"/> is null.</exception>
    public GraphValue Constant(Tensor value)
    {
        ArgumentNullException.ThrowIfNull(value);
        double[] values;
        // The copy's temporaries end here; the reader's constant (an eager tensor) must outlive this scope.
        using (var scope = NewDisposeScope())
        using (no_grad())
            values = value.detach().to(ScalarType.Float64).cpu().contiguous().data<double>().ToArray();
        return OnConstant(values, value.shape);
    }

    /// <summary>ReLU.</summary>
    public GraphValue Relu(GraphValue input) => OnUnary(UnaryOperation.Relu, Defined(input, nameof(input)));

    /// <summary>Clamps to [<paramref name="min"/>, <paramref name="max"/>] (ReLU6 is <c>Clip(x, 0, 6)</c>).</summary>
    public GraphValue Clip(GraphValue input, float min, float max)
    {
        Defined(input, nameof(input));
        if (!(min <= max))
            throw new ArgumentOutOfRangeException(nameof(max), max, $"Clip needs min <= max, got min {min} and max {max}.");
        return OnClip(input, min, max);
    }

    /// <summary>The logistic sigmoid.</summary>
    public GraphValue Sigmoid(GraphValue input) => OnUnary(UnaryOperation.Sigmoid, Defined(input, nameof(input)));

    /// <summary>SiLU (swish): <c>x * sigmoid(x)</c>.</summary>
    public GraphValue Silu(GraphValue input) => OnUnary(UnaryOperation.Silu, Defined(input, nameof(input)));

    /// <summary>GELU, exact (<c>x * Phi(x)</c>) or with PyTorch's tanh approximation.</summary>
    public GraphValue Gelu(GraphValue input, bool tanhApproximation) => OnGelu(Defined(input, nameof(input)), tanhApproximation);

    /// <summary>Hard swish: <c>x * relu6(x + 3) / 6</c>.</summary>
    public GraphValue Hardswish(GraphValue input) => OnUnary(UnaryOperation.Hardswish, Defined(input, nameof(input)));

    /// <summary>Hyperbolic tangent.</summary>
    public GraphValue Tanh(GraphValue input) => OnUnary(UnaryOperation.Tanh, Defined(input, nameof(input)));

    /// <summary>The natural exponential.</summary>
    public GraphValue Exp(GraphValue input) => OnUnary(UnaryOperation.Exp, Defined(input, nameof(input)));

    /// <summary>The natural logarithm.</summary>
    public GraphValue Log(GraphValue input) => OnUnary(UnaryOperation.Log, Defined(input, nameof(input)));

    /// <summary>The absolute value.</summary>
    public GraphValue Abs(GraphValue input) => OnUnary(UnaryOperation.Abs, Defined(input, nameof(input)));

    /// <summary>The negation.</summary>
    public GraphValue Neg(GraphValue input) => OnUnary(UnaryOperation.Neg, Defined(input, nameof(input)));

    /// <summary>The square root.</summary>
    public GraphValue Sqrt(GraphValue input) => OnUnary(UnaryOperation.Sqrt, Defined(input, nameof(input)));

    /// <summary>Raises each element to a fixed power (PyTorch <c>x.pow(exponent)</c>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The exponent is NaN or infinite.</exception>
    public GraphValue Pow(GraphValue input, double exponent)
    {
        Defined(input, nameof(input));
        if (!double.IsFinite(exponent))
            throw new ArgumentOutOfRangeException(nameof(exponent), exponent, $"The exponent must be finite, got {exponent}.");
        return OnPow(input, exponent);
    }

    /// <summary>Elementwise sum of two values (broadcasting as PyTorch does).</summary>
    public GraphValue Add(GraphValue left, GraphValue right) => Binary(BinaryOperation.Add, left, right);

    /// <summary>Elementwise difference <c>left - right</c> (broadcasting as PyTorch does).</summary>
    public GraphValue Sub(GraphValue left, GraphValue right) => Binary(BinaryOperation.Sub, left, right);

    /// <summary>Elementwise product of two values (broadcasting as PyTorch does).</summary>
    public GraphValue Mul(GraphValue left, GraphValue right) => Binary(BinaryOperation.Mul, left, right);

    /// <summary>Elementwise quotient <c>left / right</c> (broadcasting as PyTorch does).</summary>
    public GraphValue Div(GraphValue left, GraphValue right) => Binary(BinaryOperation.Div, left, right);

    /// <summary>Elementwise maximum of two values (PyTorch <c>torch.maximum</c>).</summary>
    public GraphValue Maximum(GraphValue left, GraphValue right) => Binary(BinaryOperation.Maximum, left, right);

    /// <summary>Elementwise minimum of two values (PyTorch <c>torch.minimum</c>).</summary>
    public GraphValue Minimum(GraphValue left, GraphValue right) => Binary(BinaryOperation.Minimum, left, right);

    /// <summary>Elementwise sum of several values of one shape.</summary>
    public GraphValue Sum(IReadOnlyList<GraphValue> values) => OnSum(Defined(values, nameof(values)));

    /// <summary>Cuts <paramref name="input"/> into <paramref name="parts"/> equal slices along <paramref name="axis"/>.</summary>
    public IReadOnlyList<GraphValue> Split(GraphValue input, int parts, int axis = 1)
    {
        Defined(input, nameof(input));
        if (parts < 1)
            throw new ArgumentOutOfRangeException(nameof(parts), parts, $"Split needs at least 1 part, got {parts}.");
        return OnSplit(input, parts, axis);
    }

    /// <summary>
    /// The elements <paramref name="start"/>, <paramref name="start"/> + <paramref name="step"/>, ... before
    /// <paramref name="end"/> along <paramref name="axis"/> (PyTorch <c>x[..., start:end:step]</c>; negative indices count
    /// from the end, and both ends are clamped to the axis as PyTorch clamps them).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The step is not positive.</exception>
    public GraphValue Slice(GraphValue input, int axis, long start, long end, long step = 1)
    {
        Defined(input, nameof(input));
        if (step < 1)
            throw new ArgumentOutOfRangeException(nameof(step), step, $"Slice needs a positive step (as PyTorch), got {step}.");
        return OnSlice(input, axis, start, end, step);
    }

    /// <summary>Joins values along <paramref name="axis"/>.</summary>
    public GraphValue Concat(IReadOnlyList<GraphValue> values, int axis = 1) => OnConcat(Defined(values, nameof(values)), axis);

    /// <summary>Reshapes; in <paramref name="shape"/>, 0 keeps the input's size at that position and -1 infers one size.</summary>
    public GraphValue Reshape(GraphValue input, params long[] shape)
    {
        Defined(input, nameof(input));
        ArgumentNullException.ThrowIfNull(shape);
        if (shape.Any(size => size < -1) || shape.Count(size => size == -1) > 1)
            throw new ArgumentException($"A shape holds sizes, 0 (keep) and at most one -1 (infer); got [{string.Join(", ", shape)}].", nameof(shape));
        return OnReshape(input, shape);
    }

    /// <summary>
    /// Splits axis <paramref name="axis"/> into <paramref name="sizes"/> (PyTorch <c>x.unflatten(axis, sizes)</c>); one
    /// size may be -1 (inferred).
    /// </summary>
    public GraphValue Unflatten(GraphValue input, int axis, params long[] sizes)
    {
        Defined(input, nameof(input));
        ArgumentNullException.ThrowIfNull(sizes);
        if (sizes.Length == 0 || sizes.Any(size => size == 0 || size < -1) || sizes.Count(size => size == -1) > 1)
            throw new ArgumentException($"Unflatten needs positive sizes with at most one -1 (infer); got [{string.Join(", ", sizes)}].", nameof(sizes));
        return OnUnflatten(input, axis, sizes);
    }

    /// <summary>Permutes the axes.</summary>
    public GraphValue Transpose(GraphValue input, params int[] permutation)
    {
        Defined(input, nameof(input));
        ArgumentNullException.ThrowIfNull(permutation);
        if (!permutation.OrderBy(axis => axis).SequenceEqual(Enumerable.Range(0, permutation.Length)))
            throw new ArgumentException($"A permutation holds each axis 0..{permutation.Length - 1} once; got [{string.Join(", ", permutation)}].", nameof(permutation));
        return OnTranspose(input, permutation);
    }

    /// <summary>Flattens every axis after the first (PyTorch <c>flatten(x, 1)</c>).</summary>
    public GraphValue Flatten(GraphValue input) => OnFlatten(Defined(input, nameof(input)));

    /// <summary>Sums over one axis, removing it.</summary>
    public GraphValue ReduceSum(GraphValue input, int axis) => Reduce(ReduceOperation.Sum, input, new[] { axis }, keepDim: false);

    /// <summary>Averages over <paramref name="axes"/> (PyTorch <c>x.mean(axes, keepdim)</c>).</summary>
    public GraphValue Mean(GraphValue input, int[] axes, bool keepDim) => Reduce(ReduceOperation.Mean, input, axes, keepDim);

    /// <summary>The largest element over <paramref name="axes"/> (PyTorch <c>x.amax(axes, keepdim)</c>).</summary>
    public GraphValue ReduceMax(GraphValue input, int[] axes, bool keepDim) => Reduce(ReduceOperation.Max, input, axes, keepDim);

    /// <summary>Softmax over one axis.</summary>
    public GraphValue Softmax(GraphValue input, int axis) => OnSoftmax(Defined(input, nameof(input)), axis);

    /// <summary>Averages each channel over the whole map: [N, C, H, W] to [N, C, 1, 1].</summary>
    public GraphValue GlobalAveragePool(GraphValue input) => OnGlobalAveragePool(Defined(input, nameof(input)));

    /// <summary>Average pooling with PyTorch's settings.</summary>
    /// <param name="input">[N, C, H, W].</param>
    /// <param name="kernel">Window (height, width).</param>
    /// <param name="stride">Stride (height, width).</param>
    /// <param name="padding">Zero padding (top, left, bottom, right).</param>
    /// <param name="ceilMode">Round the output size up.</param>
    /// <param name="countIncludePad">Count padded zeros in each average.</param>
    public GraphValue AveragePool(GraphValue input, long[] kernel, long[] stride, long[] padding, bool ceilMode, bool countIncludePad)
    {
        Defined(input, nameof(input));
        Window(kernel, stride, padding);
        return OnAveragePool(input, kernel, stride, padding, ceilMode, countIncludePad);
    }

    /// <summary>Max pooling with PyTorch's settings (padding top, left, bottom, right).</summary>
    public GraphValue MaxPool(GraphValue input, long[] kernel, long[] stride, long[] padding, long[] dilation, bool ceilMode)
    {
        Defined(input, nameof(input));
        Window(kernel, stride, padding);
        ArgumentNullException.ThrowIfNull(dilation);
        return OnMaxPool(input, kernel, stride, padding, dilation, ceilMode);
    }

    /// <summary>Adaptive average pooling to <paramref name="height"/> x <paramref name="width"/>, for inputs whose size those divide.</summary>
    public GraphValue AdaptiveAveragePool(GraphValue input, long height, long width) =>
        OnAdaptiveAveragePool(Defined(input, nameof(input)), height, width);

    /// <summary>Resamples [N, C, H, W] to the spatial size of <paramref name="sizeOf"/> (PyTorch <c>interpolate(x, size=...)</c>).</summary>
    public GraphValue Resize(GraphValue input, GraphValue sizeOf, ResizeMode mode, bool alignCorners) =>
        OnResize(Defined(input, nameof(input)), Defined(sizeOf, nameof(sizeOf)), mode, alignCorners);

    /// <summary>Resamples [N, C, H, W] to a fixed spatial size.</summary>
    public GraphValue Resize(GraphValue input, long height, long width, ResizeMode mode, bool alignCorners) =>
        OnResize(Defined(input, nameof(input)), height, width, mode, alignCorners);

    /// <summary>Resamples [N, C, H, W] by scale factors (PyTorch <c>interpolate(x, scale_factor=...)</c>; output size <c>floor(size * scale)</c>).</summary>
    public GraphValue ResizeByScale(GraphValue input, double heightScale, double widthScale, ResizeMode mode, bool alignCorners) =>
        OnResizeByScale(Defined(input, nameof(input)), heightScale, widthScale, mode, alignCorners);

    /// <summary>
    /// TorchSharp's <see cref="TorchSharp.Modules.GroupNorm"/> on [N, C, H, W]: each group of channels normalised over its
    /// channels and the map with the biased variance, then the per-channel affine map when the layer has one.
    /// </summary>
    /// <param name="norm">The layer (a child of the module being described, or the module itself).</param>
    /// <param name="input">[N, C, H, W].</param>
    /// <returns>The output.</returns>
    public GraphValue GroupNorm(GroupNorm norm, GraphValue input)
    {
        ArgumentNullException.ThrowIfNull(norm);
        Defined(input, nameof(input));
        return OnGroupNorm(norm, Claim(norm, wholeSubtree: false), input);
    }

    /// <summary>TorchSharp's <see cref="TorchSharp.Modules.ConvTranspose2d"/> (Mask R-CNN's 2x2 upsampling), with its bias when it has one.</summary>
    /// <param name="convolution">The layer (a child of the module being described, or the module itself).</param>
    /// <param name="input">[N, C, H, W].</param>
    /// <returns>The output.</returns>
    public GraphValue TransposedConvolution(ConvTranspose2d convolution, GraphValue input)
    {
        ArgumentNullException.ThrowIfNull(convolution);
        Defined(input, nameof(input));
        return OnTransposedConvolution(convolution, Claim(convolution, wholeSubtree: false), input);
    }

    /// <summary>TorchSharp's <see cref="TorchSharp.Modules.LayerNorm"/>: normalised over its trailing <c>normalized_shape</c> axes, then its affine map.</summary>
    /// <param name="norm">The layer (a child of the module being described, or the module itself).</param>
    /// <param name="input">A value whose trailing axes have the layer's <c>normalized_shape</c>.</param>
    /// <returns>The output.</returns>
    public GraphValue LayerNorm(LayerNorm norm, GraphValue input)
    {
        ArgumentNullException.ThrowIfNull(norm);
        Defined(input, nameof(input));
        return OnLayerNorm(norm, Claim(norm, wholeSubtree: false), input);
    }

    /// <summary>The value of a parameter or buffer read by <see cref="Parameter"/> or <see cref="Buffer"/>; <paramref name="path"/> is its state-dict key.</summary>
    private protected abstract GraphValue OnTensor(Tensor tensor, string path);

    /// <summary>A constant with <paramref name="shape"/> (empty: a scalar).</summary>
    private protected abstract GraphValue OnConstant(double[] values, long[] shape);

    /// <summary>An elementwise function of one value.</summary>
    private protected abstract GraphValue OnUnary(UnaryOperation operation, GraphValue input);

    /// <summary>An elementwise function of two values, broadcast.</summary>
    private protected abstract GraphValue OnBinary(BinaryOperation operation, GraphValue left, GraphValue right);

    /// <summary>A reduction over axes.</summary>
    private protected abstract GraphValue OnReduce(ReduceOperation operation, GraphValue input, int[] axes, bool keepDim);

    private protected abstract GraphValue OnClip(GraphValue input, float min, float max);
    private protected abstract GraphValue OnGelu(GraphValue input, bool tanhApproximation);
    private protected abstract GraphValue OnPow(GraphValue input, double exponent);
    private protected abstract GraphValue OnSum(IReadOnlyList<GraphValue> values);
    private protected abstract IReadOnlyList<GraphValue> OnSplit(GraphValue input, int parts, int axis);
    private protected abstract GraphValue OnSlice(GraphValue input, int axis, long start, long end, long step);
    private protected abstract GraphValue OnConcat(IReadOnlyList<GraphValue> values, int axis);
    private protected abstract GraphValue OnReshape(GraphValue input, long[] shape);
    private protected abstract GraphValue OnUnflatten(GraphValue input, int axis, long[] sizes);
    private protected abstract GraphValue OnTranspose(GraphValue input, int[] permutation);
    private protected abstract GraphValue OnFlatten(GraphValue input);
    private protected abstract GraphValue OnSoftmax(GraphValue input, int axis);
    private protected abstract GraphValue OnGlobalAveragePool(GraphValue input);
    private protected abstract GraphValue OnAveragePool(GraphValue input, long[] kernel, long[] stride, long[] padding, bool ceilMode, bool countIncludePad);
    private protected abstract GraphValue OnMaxPool(GraphValue input, long[] kernel, long[] stride, long[] padding, long[] dilation, bool ceilMode);
    private protected abstract GraphValue OnAdaptiveAveragePool(GraphValue input, long height, long width);
    private protected abstract GraphValue OnResize(GraphValue input, GraphValue sizeOf, ResizeMode mode, bool alignCorners);
    private protected abstract GraphValue OnResize(GraphValue input, long height, long width, ResizeMode mode, bool alignCorners);
    private protected abstract GraphValue OnResizeByScale(GraphValue input, double heightScale, double widthScale, ResizeMode mode, bool alignCorners);
    private protected abstract GraphValue OnGroupNorm(GroupNorm norm, string path, GraphValue input);
    private protected abstract GraphValue OnLayerNorm(LayerNorm norm, string path, GraphValue input);
    private protected abstract GraphValue OnTransposedConvolution(ConvTranspose2d convolution, string path, GraphValue input);

    private GraphValue Binary(BinaryOperation operation, GraphValue left, GraphValue right) =>
        OnBinary(operation, Defined(left, nameof(left)), Defined(right, nameof(right)));

    private GraphValue Reduce(ReduceOperation operation, GraphValue input, int[] axes, bool keepDim)
    {
        Defined(input, nameof(input));
        ArgumentNullException.ThrowIfNull(axes);
        if (axes.Length == 0 || axes.Distinct().Count() != axes.Length)
            throw new ArgumentException($"A reduction needs one or more distinct axes; got [{string.Join(", ", axes)}].", nameof(axes));
        return OnReduce(operation, input, axes, keepDim);
    }

    private static void Window(long[] kernel, long[] stride, long[] padding)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        ArgumentNullException.ThrowIfNull(stride);
        ArgumentNullException.ThrowIfNull(padding);
        if (kernel.Length != 2 || stride.Length != 2 || padding.Length != 4)
            throw new ArgumentException(
                $"A pooling window needs a kernel and a stride of 2 sizes and padding of 4 (top, left, bottom, right); got {kernel.Length}, {stride.Length} and {padding.Length}.");
    }

    /// <summary>Looks up and claims a parameter or buffer of the module being described.</summary>
    private Tensor OwnTensor(string name, bool buffer, out string path)
    {
        ArgumentNullException.ThrowIfNull(name);
        var scope = scopes.Count == 0 ? throw new InvalidOperationException("Parameters and buffers are only valid inside a description.") : scopes.Peek();
        var own = buffer
            ? scope.Module.named_buffers(recurse: false, include_nonpersistent: true).ToList()
            : scope.Module.named_parameters(recurse: false).Select(pair => (pair.name, (Tensor)pair.parameter)).ToList();
        foreach (var (ownName, tensor) in own)
        {
            if (ownName != name)
                continue;
            scope.Tensors.Add(name);
            path = ModuleDescriptions.Join(scope.Path, name);
            return tensor;
        }
        string kind = buffer ? "buffer" : "parameter";
        string known = own.Count == 0 ? $"it has no {kind} of its own" : $"its own {kind}s are {string.Join(", ", own.Select(pair => $"'{pair.Item1}'"))}";
        throw new ArgumentException(
            $"The description of {ModuleDescriptions.Describe(scope.Path)} ({scope.Module.GetType().Name}) reads the {kind} '{name}', but {known} " +
            $"(a child's {kind}s are read by the child's own description).", nameof(name));
    }
}

/// <summary>The elementwise functions of one value that readers of descriptions compute.</summary>
internal enum UnaryOperation
{
    Relu,
    Sigmoid,
    Silu,
    Hardswish,
    Tanh,
    Exp,
    Log,
    Abs,
    Neg,
    Sqrt,
}

/// <summary>The elementwise functions of two values.</summary>
internal enum BinaryOperation
{
    Add,
    Sub,
    Mul,
    Div,
    Maximum,
    Minimum,
}

/// <summary>The reductions over axes.</summary>
internal enum ReduceOperation
{
    Sum,
    Mean,
    Max,
}
