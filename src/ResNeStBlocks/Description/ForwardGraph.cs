using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using TorchSharp.Modules;

namespace ResNeStBlocks.Description;

/// <summary>
/// The operations a module's eval-mode forward is described with (<see cref="IDescribedModule"/>), and the
/// bookkeeping every reader of descriptions shares: which module is being described, the path of each child it
/// names (<c>layer1.0.conv2.fc1</c>, the state-dict prefix), and a check that a description uses every child,
/// parameter and buffer that could change the result and only values that the graph defined.
/// </summary>
/// <remarks>
/// <para>Only this library derives from this class (its constructor is visible to the library alone): the ONNX
/// exporter turns operations into nodes, the eager evaluator (<see cref="DescriptionCheck"/>) computes them with TorchSharp to check a
/// description against its module's forward, BatchNorm folding collects the convolution/BatchNorm pairs, the
/// input-channel inference looks at the first layer that reads the input. New operations can therefore be added
/// without breaking any code outside the library. A description calls the operations in the order its forward runs
/// them.</para>
/// <para>A description states everything its module computes: every child (applied with <see cref="Call"/>, used as a
/// layer, or deliberately left out with <see cref="Omit"/>), every parameter and buffer of its own
/// (<see cref="Parameter"/>, <see cref="Buffer"/>); a module whose description leaves one out is refused, naming it.</para>
/// <para>Children are named by reference (<c>graph.Convolution(conv1, x, bn1, Activation.Relu)</c>); they may sit
/// anywhere below the described module (<c>convs[i]</c> of a <see cref="ModuleList{T}"/>). A child absent because
/// it was never configured or was folded away is passed as <c>null</c> where an operation allows it.</para>
/// <para>Spatial sizes stay symbolic: no operation needs the height or width of a value, so a described module
/// exports with dynamic spatial size.</para>
/// </remarks>
public abstract partial class ForwardGraph
{
    private readonly Stack<Scope> scopes = new();
    private int nextValue;

    /// <summary>Only the library's own readers of descriptions derive from this class.</summary>
    private protected ForwardGraph()
    {
    }

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
        Defined(input, nameof(input));
        string path = Claim(child, wholeSubtree: true);
        return Enter(child, path, () => OnCall(child, path, input, () => Returned(child, path, DescribeModule(child, path, input))));
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
        Defined(input, nameof(input));
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
        Defined(input, nameof(input));
        return OnBatchNorm(norm, Claim(norm, wholeSubtree: false), input);
    }

    /// <summary>A fully connected layer on [N, features].</summary>
    /// <param name="linear">The layer.</param>
    /// <param name="input">Its input.</param>
    /// <returns>The output.</returns>
    public GraphValue Linear(Linear linear, GraphValue input)
    {
        ArgumentNullException.ThrowIfNull(linear);
        Defined(input, nameof(input));
        return OnLinear(linear, Claim(linear, wholeSubtree: false), input);
    }

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

    /// <summary>Applies a child by its description (<paramref name="describe"/>); a reader may look at the child's input and output around it.</summary>
    private protected virtual GraphValue OnCall(torch.nn.Module child, string path, GraphValue input, Func<GraphValue> describe) => describe();

    /// <summary>Called each time a description names a module (applies it, or uses it as a layer), in forward order.</summary>
    protected virtual void OnUse(torch.nn.Module module, string path)
    {
    }

    /// <summary>Describes <paramref name="module"/> as the root of a graph, applied to <paramref name="input"/>.</summary>
    protected GraphValue DescribeRoot(torch.nn.Module module, GraphValue input)
    {
        ArgumentNullException.ThrowIfNull(module);
        return Enter(module, "", () => Returned(module, "", DescribeModule(module, "", input)));
    }

    /// <summary>Runs <paramref name="body"/> as the description of the root <paramref name="module"/> (for several outputs).</summary>
    protected T DescribeRoot<T>(torch.nn.Module module, Func<T> body)
    {
        ArgumentNullException.ThrowIfNull(module);
        return Enter(module, "", body);
    }

    /// <summary>Describes the root <paramref name="module"/> output by output (checked to be values of this graph).</summary>
    private protected IReadOnlyList<NamedValue> DescribeRootOutputs(torch.nn.Module module, Func<IReadOnlyList<NamedValue>> body) =>
        DescribeRoot(module, () =>
        {
            var outputs = body() ?? throw new InvalidOperationException($"The description of {ModuleDescriptions.Describe("")} ({module.GetType().Name}) returned no outputs.");
            foreach (var output in outputs)
                Returned(module, "", output.Value);
            return outputs;
        });

    /// <summary>A new value of this graph, named <paramref name="id"/> (unique within the graph).</summary>
    private protected GraphValue Value(string id) => new(this, id);

    /// <summary>A new value of this graph with a name of its own (<c>v0</c>, <c>v1</c>, ...).</summary>
    private protected GraphValue Fresh() => new(this, "v" + nextValue++);

    /// <summary>
    /// Checks that <paramref name="value"/>, an operand of an operation, was defined by this graph: the input of the
    /// description or the result of one of its operations.
    /// </summary>
    /// <exception cref="ArgumentException">The value is <c>default(GraphValue)</c> or belongs to another graph.</exception>
    private protected GraphValue Defined(GraphValue value, string parameter)
    {
        if (value.Owner is null)
            throw new ArgumentException(
                $"The description of {Describing()} passes a GraphValue that no operation defined (default(GraphValue)) as '{parameter}'. " +
                "Pass only the description's input and values returned by the graph's operations.", parameter);
        if (!ReferenceEquals(value.Owner, this))
            throw new ArgumentException(
                $"The description of {Describing()} passes the value '{value.Id}' of another graph (kept from an earlier description) as " +
                $"'{parameter}'. Pass only the description's input and values returned by this graph's operations.", parameter);
        return value;
    }

    /// <summary>Checks each value of <paramref name="values"/> as a single operand is checked.</summary>
    private protected IReadOnlyList<GraphValue> Defined(IReadOnlyList<GraphValue> values, string parameter)
    {
        ArgumentNullException.ThrowIfNull(values, parameter);
        if (values.Count == 0)
            throw new ArgumentException($"The description of {Describing()} passes no values as '{parameter}'; at least one is needed.", parameter);
        foreach (var value in values)
            Defined(value, parameter);
        return values;
    }

    /// <summary>The module being described, as messages name it: <c>'head.scale' (LearnedScale)</c>.</summary>
    private string Describing() =>
        scopes.Count == 0 ? "a module" : $"{ModuleDescriptions.Describe(scopes.Peek().Path)} ({scopes.Peek().Module.GetType().Name})";

    /// <summary>Checks that the output a description returns is a value of this graph.</summary>
    private GraphValue Returned(torch.nn.Module module, string path, GraphValue output)
    {
        if (output.Owner is null || !ReferenceEquals(output.Owner, this))
            throw new ArgumentException(
                $"The description of {ModuleDescriptions.Describe(path)} ({module.GetType().Name}) returns " +
                (output.Owner is null ? "a GraphValue that no operation defined (default(GraphValue))" : $"the value '{output.Id}' of another graph") +
                "; it must return its input or a value returned by the graph's operations.");
        return output;
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
            scope.UsedAsLayer = true;
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
        // A module used as a layer by its own description (a Conv2d, a GroupNorm) hands its tensors to that layer.
        if (!scope.UsedAsLayer)
        {
            foreach (var (name, _) in scope.Module.named_parameters(recurse: false))
                if (!scope.Tensors.Contains(name))
                    throw Unclaimed(scope, "parameter", name, nameof(Parameter));
            foreach (var (name, _) in scope.Module.named_buffers(recurse: false, include_nonpersistent: true))
                if (!scope.Tensors.Contains(name))
                    throw Unclaimed(scope, "buffer", name, nameof(Buffer));
        }
        foreach (var (relative, module) in scope.Module.named_modules())
        {
            if (scope.Used.Contains(relative) || scope.Subtrees.Contains(relative) || InsideSubtree(scope, relative))
                continue;
            if (IsContainer(module) || ModuleDescriptions.IsEvalIdentity(module))
                continue;
            OnUnusedChild(scope.Module, scope.Path, module, ModuleDescriptions.Join(scope.Path, relative));
        }
    }

    private static NotSupportedException Unclaimed(Scope scope, string kind, string name, string operation) => new(
        $"The description of {ModuleDescriptions.Describe(scope.Path)} ({scope.Module.GetType().Name}) does not use its {kind} " +
        $"'{ModuleDescriptions.Join(scope.Path, name)}', so it cannot state what the module computes. Read it with " +
        $"graph.{operation}(\"{name}\") where the forward uses it.");

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

        /// <summary>The module's own parameters and buffers its description read.</summary>
        public HashSet<string> Tensors { get; } = new(StringComparer.Ordinal);

        /// <summary>Whether the description used the module itself as a layer (a registered leaf such as Conv2d).</summary>
        public bool UsedAsLayer { get; set; }

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
