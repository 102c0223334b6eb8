using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using TorchSharp.Modules;

namespace ResNeStBlocks.Description;

/// <summary>
/// The operations a module's eval-mode forward is described with (<see cref="IDescribedModule"/>), and the
/// bookkeeping every reader of descriptions shares: which module is being described, the path of each child it
/// names (<c>layer1.0.conv2.fc1</c>, the state-dict prefix), and a check that a description uses every child that
/// could change the result.
/// </summary>
/// <remarks>
/// <para>Readers of descriptions derive from this class: the ONNX exporter turns operations into nodes, BatchNorm
/// folding collects the convolution/BatchNorm pairs, the input-channel inference looks at the first layer that
/// reads the input. A description calls the operations in the order its forward runs them.</para>
/// <para>Children are named by reference (<c>graph.Convolution(conv1, x, bn1, Activation.Relu)</c>); they may sit
/// anywhere below the described module (<c>convs[i]</c> of a <see cref="ModuleList{T}"/>). A child absent because
/// it was never configured or was folded away is passed as <c>null</c> where an operation allows it.</para>
/// <para>Spatial sizes stay symbolic: no operation needs the height or width of a value, so a described module
/// exports with dynamic spatial size.</para>
/// </remarks>
public abstract class ForwardGraph
{
    private readonly Stack<Scope> scopes = new();

    /// <summary>The path of the module being described (<c>""</c> for the root).</summary>
    protected string CurrentPath => scopes.Count == 0 ? "" : scopes.Peek().Path;

    /// <summary>The module being described.</summary>
    /// <exception cref="InvalidOperationException">No description is running.</exception>
    protected torch.nn.Module CurrentModule =>
        scopes.Count == 0 ? throw new InvalidOperationException("No module is being described.") : scopes.Peek().Module;

    /// <summary>The modules being described, innermost first (the current one, then the module that applied it, ...).</summary>
    protected IEnumerable<torch.nn.Module> EnclosingModules => scopes.Select(scope => scope.Module);

    /// <summary>Applies <paramref name="child"/>, a module below the one being described, by its own description.</summary>
    /// <param name="child">The child module.</param>
    /// <param name="input">Its input.</param>
    /// <returns>Its output.</returns>
    public GraphValue Call(torch.nn.Module child, GraphValue input)
    {
        ArgumentNullException.ThrowIfNull(child);
        string path = Claim(child, wholeSubtree: true);
        return Enter(child, path, () => DescribeModule(child, path, input));
    }

    /// <summary>
    /// Runs <paramref name="body"/> as the description of <paramref name="child"/>: for children whose description
    /// takes or returns several values (a feature pyramid's levels), which the child states in a method of its own.
    /// </summary>
    /// <typeparam name="T">What the body returns.</typeparam>
    /// <param name="child">The child module the body describes.</param>
    /// <param name="body">The child's description.</param>
    /// <returns>The body's result.</returns>
    public T Within<T>(torch.nn.Module child, Func<T> body)
    {
        ArgumentNullException.ThrowIfNull(child);
        ArgumentNullException.ThrowIfNull(body);
        string path = Claim(child, wholeSubtree: true);
        return Enter(child, path, body);
    }

    /// <summary>
    /// States that the described outputs do not depend on <paramref name="child"/> (a classifier when only the feature
    /// maps are described), so its absence from the description is deliberate.
    /// </summary>
    /// <param name="child">The child left out.</param>
    public void Omit(torch.nn.Module child)
    {
        ArgumentNullException.ThrowIfNull(child);
        Claim(child, wholeSubtree: true);
    }

    /// <summary>A convolution, optionally followed by its BatchNorm (a pair that folding merges) and an activation.</summary>
    /// <param name="convolution">The convolution.</param>
    /// <param name="input">Its input.</param>
    /// <param name="norm">The BatchNorm that reads only this convolution's output, or <c>null</c> (none, or folded).</param>
    /// <param name="activation">The activation after the BatchNorm.</param>
    /// <returns>The output.</returns>
    public GraphValue Convolution(Conv2d convolution, GraphValue input, BatchNorm2d? norm = null, Activation activation = Activation.None)
    {
        ArgumentNullException.ThrowIfNull(convolution);
        string convolutionPath = Claim(convolution, wholeSubtree: false);
        string? normPath = norm is null ? null : Claim(norm, wholeSubtree: false);
        return OnConvolution(convolution, convolutionPath, input, norm, normPath, activation);
    }

    /// <summary>An eval-mode BatchNorm that follows no convolution of its own (kept as a per-channel affine map).</summary>
    /// <param name="norm">The BatchNorm.</param>
    /// <param name="input">Its input.</param>
    /// <returns>The output.</returns>
    public GraphValue BatchNorm(BatchNorm2d norm, GraphValue input)
    {
        ArgumentNullException.ThrowIfNull(norm);
        return OnBatchNorm(norm, Claim(norm, wholeSubtree: false), input);
    }

    /// <summary>A fully connected layer on [N, features].</summary>
    /// <param name="linear">The layer.</param>
    /// <param name="input">Its input.</param>
    /// <returns>The output.</returns>
    public GraphValue Linear(Linear linear, GraphValue input)
    {
        ArgumentNullException.ThrowIfNull(linear);
        return OnLinear(linear, Claim(linear, wholeSubtree: false), input);
    }

    /// <summary>ReLU.</summary>
    public abstract GraphValue Relu(GraphValue input);

    /// <summary>Clamps to [<paramref name="min"/>, <paramref name="max"/>] (ReLU6 is <c>Clip(x, 0, 6)</c>).</summary>
    public abstract GraphValue Clip(GraphValue input, float min, float max);

    /// <summary>The logistic sigmoid.</summary>
    public abstract GraphValue Sigmoid(GraphValue input);

    /// <summary>SiLU (swish): <c>x * sigmoid(x)</c>.</summary>
    public abstract GraphValue Silu(GraphValue input);

    /// <summary>GELU, exact (<c>x * Phi(x)</c>) or with PyTorch's tanh approximation.</summary>
    public abstract GraphValue Gelu(GraphValue input, bool tanhApproximation);

    /// <summary>Hard swish: <c>x * relu6(x + 3) / 6</c>.</summary>
    public abstract GraphValue Hardswish(GraphValue input);

    /// <summary>Elementwise sum of two values (broadcasting as PyTorch does).</summary>
    public abstract GraphValue Add(GraphValue left, GraphValue right);

    /// <summary>Elementwise product of two values (broadcasting as PyTorch does).</summary>
    public abstract GraphValue Mul(GraphValue left, GraphValue right);

    /// <summary>Elementwise sum of several values of one shape.</summary>
    public abstract GraphValue Sum(IReadOnlyList<GraphValue> values);

    /// <summary>Cuts <paramref name="input"/> into <paramref name="parts"/> equal slices along <paramref name="axis"/>.</summary>
    public abstract IReadOnlyList<GraphValue> Split(GraphValue input, int parts, int axis = 1);

    /// <summary>Joins values along <paramref name="axis"/>.</summary>
    public abstract GraphValue Concat(IReadOnlyList<GraphValue> values, int axis = 1);

    /// <summary>Reshapes; in <paramref name="shape"/>, 0 keeps the input's size at that position and -1 infers one size.</summary>
    public abstract GraphValue Reshape(GraphValue input, params long[] shape);

    /// <summary>Permutes the axes.</summary>
    public abstract GraphValue Transpose(GraphValue input, params int[] permutation);

    /// <summary>Flattens every axis after the first (PyTorch <c>flatten(x, 1)</c>).</summary>
    public abstract GraphValue Flatten(GraphValue input);

    /// <summary>Sums over one axis, removing it.</summary>
    public abstract GraphValue ReduceSum(GraphValue input, int axis);

    /// <summary>Softmax over one axis.</summary>
    public abstract GraphValue Softmax(GraphValue input, int axis);

    /// <summary>Averages each channel over the whole map: [N, C, H, W] to [N, C, 1, 1].</summary>
    public abstract GraphValue GlobalAveragePool(GraphValue input);

    /// <summary>Average pooling with PyTorch's settings.</summary>
    /// <param name="input">[N, C, H, W].</param>
    /// <param name="kernel">Window (height, width).</param>
    /// <param name="stride">Stride (height, width).</param>
    /// <param name="padding">Zero padding (top, left, bottom, right).</param>
    /// <param name="ceilMode">Round the output size up.</param>
    /// <param name="countIncludePad">Count padded zeros in each average.</param>
    public abstract GraphValue AveragePool(GraphValue input, long[] kernel, long[] stride, long[] padding, bool ceilMode, bool countIncludePad);

    /// <summary>Max pooling with PyTorch's settings (padding top, left, bottom, right).</summary>
    public abstract GraphValue MaxPool(GraphValue input, long[] kernel, long[] stride, long[] padding, long[] dilation, bool ceilMode);

    /// <summary>Adaptive average pooling to <paramref name="height"/> x <paramref name="width"/>, for inputs whose size those divide.</summary>
    public abstract GraphValue AdaptiveAveragePool(GraphValue input, long height, long width);

    /// <summary>Resamples [N, C, H, W] to the spatial size of <paramref name="sizeOf"/> (PyTorch <c>interpolate(x, size=...)</c>).</summary>
    public abstract GraphValue Resize(GraphValue input, GraphValue sizeOf, ResizeMode mode, bool alignCorners);

    /// <summary>Resamples [N, C, H, W] to a fixed spatial size.</summary>
    public abstract GraphValue Resize(GraphValue input, long height, long width, ResizeMode mode, bool alignCorners);

    /// <summary>Resamples [N, C, H, W] by scale factors (PyTorch <c>interpolate(x, scale_factor=...)</c>; output size <c>floor(size * scale)</c>).</summary>
    public abstract GraphValue ResizeByScale(GraphValue input, double heightScale, double widthScale, ResizeMode mode, bool alignCorners);

    /// <summary>The nodes of a convolution and its optional BatchNorm and activation.</summary>
    protected abstract GraphValue OnConvolution(Conv2d convolution, string convolutionPath, GraphValue input, BatchNorm2d? norm, string? normPath, Activation activation);

    /// <summary>The nodes of a standalone BatchNorm.</summary>
    protected abstract GraphValue OnBatchNorm(BatchNorm2d norm, string path, GraphValue input);

    /// <summary>The nodes of a fully connected layer.</summary>
    protected abstract GraphValue OnLinear(Linear linear, string path, GraphValue input);

    /// <summary>
    /// What to do with a module that has no description (neither <see cref="IDescribedModule"/> nor a registered one);
    /// by default a <see cref="NotSupportedException"/> naming its path and type.
    /// </summary>
    protected virtual GraphValue Undescribed(torch.nn.Module module, string path, GraphValue input) => throw ModuleDescriptions.Undescribed(module, path);

    /// <summary>
    /// What to do when a description leaves out a module below it that is not the identity in eval mode; by default a
    /// <see cref="NotSupportedException"/>, so a module with more inside than its description states never yields a
    /// silently wrong graph.
    /// </summary>
    protected virtual void OnUnusedChild(torch.nn.Module owner, string ownerPath, torch.nn.Module module, string path) =>
        throw new NotSupportedException(
            $"The module at {ModuleDescriptions.Describe(path)} ({module.GetType().Name}) belongs to {ModuleDescriptions.Describe(ownerPath)} " +
            $"({owner.GetType().Name}), but that module's description does not use it, so the description cannot be complete.");

    /// <summary>Called each time a description names a module (applies it, or uses it as a layer), in forward order.</summary>
    protected virtual void OnUse(torch.nn.Module module, string path)
    {
    }

    /// <summary>Describes <paramref name="module"/> as the root of a graph, applied to <paramref name="input"/>.</summary>
    protected GraphValue DescribeRoot(torch.nn.Module module, GraphValue input)
    {
        ArgumentNullException.ThrowIfNull(module);
        return Enter(module, "", () => DescribeModule(module, "", input));
    }

    /// <summary>Runs <paramref name="body"/> as the description of the root <paramref name="module"/> (for several outputs).</summary>
    protected T DescribeRoot<T>(torch.nn.Module module, Func<T> body)
    {
        ArgumentNullException.ThrowIfNull(module);
        return Enter(module, "", body);
    }

    /// <summary>The full path of a child module of the current module.</summary>
    protected string PathOf(torch.nn.Module child) => Claim(child, wholeSubtree: false);

    private GraphValue DescribeModule(torch.nn.Module module, string path, GraphValue input) =>
        ModuleDescriptions.TryDescribe(this, module, input, out var output) ? output : Undescribed(module, path, input);

    private T Enter<T>(torch.nn.Module module, string path, Func<T> body)
    {
        var scope = new Scope(module, path);
        scopes.Push(scope);
        try
        {
            T result = body();
            CheckAllUsed(scope);
            return result;
        }
        finally
        {
            scopes.Pop();
        }
    }

    /// <summary>Resolves a module named by the current description to its path and records that the description uses it.</summary>
    private string Claim(torch.nn.Module module, bool wholeSubtree)
    {
        if (scopes.Count == 0)
            throw new InvalidOperationException("Operations on children are only valid inside a description.");
        var scope = scopes.Peek();
        // A leaf described by registration (a Conv2d applied whole) names itself.
        if (ReferenceEquals(module, scope.Module))
        {
            OnUse(module, scope.Path);
            return scope.Path;
        }
        if (!scope.RelativeNames.TryGetValue(module, out var relative))
            throw new NotSupportedException(
                $"The description of {ModuleDescriptions.Describe(scope.Path)} ({scope.Module.GetType().Name}) names a {module.GetType().Name} " +
                "that is not one of its registered children (call RegisterComponents() after creating the children).");
        (wholeSubtree ? scope.Subtrees : scope.Used).Add(relative);
        string path = ModuleDescriptions.Join(scope.Path, relative);
        OnUse(module, path);
        return path;
    }

    private void CheckAllUsed(Scope scope)
    {
        foreach (var (relative, module) in scope.Module.named_modules())
        {
            if (scope.Used.Contains(relative) || scope.Subtrees.Contains(relative) || InsideSubtree(scope, relative))
                continue;
            if (IsContainer(module) || ModuleDescriptions.IsEvalIdentity(module))
                continue;
            OnUnusedChild(scope.Module, scope.Path, module, ModuleDescriptions.Join(scope.Path, relative));
        }
    }

    private static bool InsideSubtree(Scope scope, string relative)
    {
        for (int dot = relative.LastIndexOf('.'); dot > 0; dot = relative.LastIndexOf('.', dot - 1))
            if (scope.Subtrees.Contains(relative[..dot]))
                return true;
        return false;
    }

    /// <summary>Sequential, ModuleList&lt;T&gt; and ModuleDict&lt;T&gt;: containers whose items are checked one by one unless the container is applied whole.</summary>
    private static bool IsContainer(torch.nn.Module module)
    {
        if (module is Sequential)
            return true;
        for (var type = module.GetType(); type is not null; type = type.BaseType)
            if (type.IsGenericType && (type.GetGenericTypeDefinition() == typeof(ModuleList<>) || type.GetGenericTypeDefinition() == typeof(ModuleDict<>)))
                return true;
        return false;
    }

    private sealed class Scope
    {
        private Dictionary<torch.nn.Module, string>? relativeNames;

        public Scope(torch.nn.Module module, string path)
        {
            Module = module;
            Path = path;
        }

        public torch.nn.Module Module { get; }

        public string Path { get; }

        public HashSet<string> Used { get; } = new(StringComparer.Ordinal);

        public HashSet<string> Subtrees { get; } = new(StringComparer.Ordinal);

        /// <summary>Every module below this one by reference, with its dotted name relative to this one.</summary>
        public Dictionary<torch.nn.Module, string> RelativeNames => relativeNames ??= BuildNames();

        private Dictionary<torch.nn.Module, string> BuildNames()
        {
            var names = new Dictionary<torch.nn.Module, string>(ReferenceEqualityComparer.Instance);
            foreach (var (name, module) in Module.named_modules())
                names.TryAdd(module, name);
            return names;
        }
    }
}
