namespace ResNeStBlocks.Description;

/// <summary>
/// A module that states its eval-mode forward pass as operations of a <see cref="ForwardGraph"/>: which children it
/// applies in which order, which convolution each BatchNorm follows, and the arithmetic between them. Folding
/// BatchNorms, ONNX export and the input-channel inference all read this one description.
/// </summary>
/// <remarks>
/// Describe what <c>forward</c> computes in eval mode (dropout, drop path and DropBlock are the identity there and may be
/// left out), with the module's own settings rather than values recomputed from tensor shapes. For a module that
/// cannot implement this interface (a TorchSharp module or a third-party one), register a description with
/// <see cref="ModuleDescriptions.Register{TModule}"/>.
/// </remarks>
public interface IDescribedModule
{
    /// <summary>Describes the eval-mode forward of this module applied to <paramref name="input"/>.</summary>
    /// <param name="graph">The graph being built; its operations name this module's children by reference.</param>
    /// <param name="input">The module's input.</param>
    /// <returns>The module's output.</returns>
    GraphValue Describe(ForwardGraph graph, GraphValue input);
}

/// <summary>
/// A module whose forward has several named outputs (a segmentation model's main and auxiliary logits, a feature
/// pyramid's levels). ONNX export publishes each as a graph output.
/// </summary>
public interface IDescribedOutputs
{
    /// <summary>Describes the eval-mode forward of this module applied to <paramref name="input"/>, output by output.</summary>
    /// <param name="graph">The graph being built.</param>
    /// <param name="input">The module's input.</param>
    /// <returns>The outputs, in order, each with the name it is published under.</returns>
    System.Collections.Generic.IReadOnlyList<NamedValue> DescribeOutputs(ForwardGraph graph, GraphValue input);
}

/// <summary>One named output of a described forward.</summary>
/// <param name="Name">The output's name (an ONNX graph output name).</param>
/// <param name="Value">The value.</param>
public readonly record struct NamedValue(string Name, GraphValue Value);
