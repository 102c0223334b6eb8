using System.Collections.Generic;

namespace ResNeStBlocks.Summary;

/// <summary>One row of a <see cref="ModelSummary"/>: a module (or a group of modules) with its output and costs.</summary>
/// <param name="Name">
/// The module's path in the model, as in state-dict keys (for example <c>layer1.0.conv2</c>); empty for the
/// summarised module itself.
/// </param>
/// <param name="Type">The module's .NET type name (for example <c>Conv2d</c>).</param>
/// <param name="OutputShape">
/// Shape of the module's output in the summarising forward pass (batch dimension included), or <see langword="null"/>
/// when the module was not observed (see <see cref="ModelSummary.UnobservedLayers"/>).
/// </param>
/// <param name="Parameters">Parameters the row owns (for a leaf: its own parameters; for a group: all of them).</param>
/// <param name="TrainableParameters">The part of <paramref name="Parameters"/> that requires gradients.</param>
/// <param name="Macs">
/// Multiply-accumulate operations per sample (see <see cref="ModelSummarizer"/> for what is counted).
/// </param>
public sealed record LayerSummary(
    string Name,
    string Type,
    IReadOnlyList<long>? OutputShape,
    long Parameters,
    long TrainableParameters,
    long Macs)
{
    /// <summary>Nesting depth of <see cref="Name"/>: 0 for the summarised module, 1 for its children, and so on.</summary>
    public int Depth => Name.Length == 0 ? 0 : Name.Split('.').Length;
}
