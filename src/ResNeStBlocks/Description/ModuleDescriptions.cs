using System;
using System.Collections.Concurrent;
using TorchSharp;
using TorchSharp.Modules;

namespace ResNeStBlocks.Description;

/// <summary>
/// Descriptions of module types that cannot describe themselves: TorchSharp's modules (convolution, BatchNorm,
/// pooling, activations, <see cref="Sequential"/>, ...) are registered here, and an application registers its own
/// third-party or custom modules the same way. A module implementing <see cref="IDescribedModule"/> needs no entry.
/// </summary>
/// <example>
/// A custom module whose forward is <c>relu(a(x) + b(x))</c>, exported to ONNX with the rest of a network:
/// <code>ModuleDescriptions.Register&lt;TwoPath&gt;((graph, module, x) =&gt;
///     graph.Relu(graph.Add(graph.Call(module.A, x), graph.Call(module.B, x))));</code>
/// A module with a learned parameter of its own, <c>y = x * alpha</c>; a description must read every parameter and
/// buffer of its module, and <see cref="DescriptionCheck.Verify"/> checks it against the forward:
/// <code>ModuleDescriptions.Register&lt;LearnedScale&gt;((graph, module, x) =&gt; graph.Mul(x, graph.Parameter("alpha")));</code>
/// </example>
public static class ModuleDescriptions
{
    private static readonly ConcurrentDictionary<Type, Func<ForwardGraph, torch.nn.Module, GraphValue, GraphValue>> Registered = new();

    static ModuleDescriptions() => TorchSharpDescriptions.RegisterAll();

    /// <summary>
    /// Registers (or replaces) the description of <typeparamref name="TModule"/> and the types derived from it that have
    /// none of their own. Process-wide; safe to call from several threads.
    /// </summary>
    /// <typeparam name="TModule">The module type.</typeparam>
    /// <param name="describe">States the module's eval-mode forward in the graph's operations: (graph, module, input) to output.</param>
    /// <exception cref="ArgumentNullException"><paramref name="describe"/> is null.</exception>
    public static void Register<TModule>(Func<ForwardGraph, TModule, GraphValue, GraphValue> describe) where TModule : torch.nn.Module
    {
        ArgumentNullException.ThrowIfNull(describe);
        Registered[typeof(TModule)] = (graph, module, input) => describe(graph, (TModule)module, input);
    }

    /// <summary>Whether <paramref name="module"/> has a description (its own, or registered for its type or a base type).</summary>
    /// <param name="module">The module.</param>
    /// <returns>True when a graph can describe it.</returns>
    public static bool IsDescribed(torch.nn.Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        return module is IDescribedModule || Find(module.GetType()) is not null;
    }

    /// <summary>
    /// Whether <paramref name="module"/> is one of TorchSharp's modules that compute the identity in eval mode (dropout of
    /// every kind, <see cref="Identity"/>), which a description may leave out.
    /// </summary>
    /// <param name="module">The module.</param>
    /// <returns>True for TorchSharp's dropout layers and the identity.</returns>
    public static bool IsEvalIdentity(torch.nn.Module module) =>
        module is Identity or Dropout or Dropout1d or Dropout2d or Dropout3d or AlphaDropout or FeatureAlphaDropout;

    /// <summary>Describes <paramref name="module"/> by its own description or a registered one.</summary>
    internal static bool TryDescribe(ForwardGraph graph, torch.nn.Module module, GraphValue input, out GraphValue output)
    {
        if (module is IDescribedModule described)
        {
            output = described.Describe(graph, input);
            return true;
        }
        var describe = Find(module.GetType());
        output = describe is null ? default : describe(graph, module, input);
        return describe is not null;
    }

    /// <summary>The exception for a module without a description.</summary>
    internal static NotSupportedException Undescribed(torch.nn.Module module, string path) => new(
        $"The module at {Describe(path)} is a {module.GetType().FullName}, which has no description of its forward. Implement " +
        $"{nameof(IDescribedModule)} on it, or register one before exporting or folding: " +
        $"ModuleDescriptions.Register<{module.GetType().Name}>((graph, module, input) => ...).");

    /// <summary>The path of a child: <c>layer1.0</c> + <c>conv1</c> = <c>layer1.0.conv1</c>.</summary>
    internal static string Join(string path, string child) => path.Length == 0 ? child : path + "." + child;

    /// <summary>How a module path reads in messages (the root has an empty path).</summary>
    internal static string Describe(string path) => path.Length == 0 ? "the root module" : $"'{path}'";

    private static Func<ForwardGraph, torch.nn.Module, GraphValue, GraphValue>? Find(Type type)
    {
        for (var current = type; current is not null && current != typeof(object); current = current.BaseType)
            if (Registered.TryGetValue(current, out var describe))
                return describe;
        return null;
    }
}
