using System;
using System.Collections.Generic;
using System.Linq;

namespace ResNeStBlocks.Summary;

/// <summary>
/// The result of <see cref="ModelSummarizer.Summarize"/>: one <see cref="LayerSummary"/> per leaf module (and per
/// module that owns parameters directly), in the order the summarising pass first called them, with model totals.
/// </summary>
public sealed class ModelSummary
{
    private readonly IReadOnlyDictionary<string, string> moduleTypes;
    private readonly IReadOnlyDictionary<string, long[]> moduleOutputs;

    internal ModelSummary(
        long[] inputShape,
        IReadOnlyList<LayerSummary> layers,
        long totalParameters,
        long trainableParameters,
        IReadOnlyList<string> unobservedLayers,
        IReadOnlyDictionary<string, string> moduleTypes,
        IReadOnlyDictionary<string, long[]> moduleOutputs)
    {
        InputShape = inputShape;
        Layers = layers;
        TotalParameters = totalParameters;
        TrainableParameters = trainableParameters;
        UnobservedLayers = unobservedLayers;
        TotalMacs = layers.Sum(l => l.Macs);
        this.moduleTypes = moduleTypes;
        this.moduleOutputs = moduleOutputs;
    }

    /// <summary>The input shape the summary was computed for (batch first).</summary>
    public IReadOnlyList<long> InputShape { get; }

    /// <summary>Per-layer rows in call order (see <see cref="ModelSummarizer.Summarize"/>).</summary>
    public IReadOnlyList<LayerSummary> Layers { get; }

    /// <summary>All parameters of the model.</summary>
    public long TotalParameters { get; }

    /// <summary>Parameters that require gradients.</summary>
    public long TrainableParameters { get; }

    /// <summary>Parameters that do not require gradients (frozen).</summary>
    public long NonTrainableParameters => TotalParameters - TrainableParameters;

    /// <summary>Multiply-accumulate operations per sample, summed over <see cref="Layers"/>.</summary>
    public long TotalMacs { get; }

    /// <summary>
    /// Leaf modules whose forward hook never fired: unused modules, or modules whose parent invokes them with
    /// <c>forward()</c> instead of <c>call()</c>. Their rows have no output shape and 0 MACs, so a non-empty list
    /// means <see cref="TotalMacs"/> may be an undercount.
    /// </summary>
    public IReadOnlyList<string> UnobservedLayers { get; }

    /// <summary>
    /// Aggregates <see cref="Layers"/> at a module depth: every row is charged to its ancestor at
    /// <paramref name="depth"/> (rows shallower than that stay as they are). Depth 1 of a ResNet gives
    /// <c>conv1</c>, <c>bn1</c>, ..., <c>layer1</c> ... <c>layer4</c>, <c>fc</c>.
    /// </summary>
    /// <param name="depth">The depth to group at, at least 1.</param>
    /// <returns>One row per group in order of first appearance: summed parameters and MACs, the group module's type
    /// and output shape (the last observed output inside the group when the group module itself was not observed).</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="depth"/> is below 1.</exception>
    public IReadOnlyList<LayerSummary> GroupByDepth(int depth)
    {
        if (depth < 1)
            throw new ArgumentOutOfRangeException(nameof(depth), depth, $"depth must be at least 1, got {depth}.");
        return Layers
            .GroupBy(row => Ancestor(row.Name, depth), StringComparer.Ordinal)
            .Select(group =>
            {
                var lastShape = group.LastOrDefault(r => r.OutputShape is not null)?.OutputShape;
                return new LayerSummary(
                    group.Key,
                    moduleTypes.TryGetValue(group.Key, out var type) ? type : group.First().Type,
                    moduleOutputs.TryGetValue(group.Key, out var shape) ? shape : lastShape,
                    group.Sum(r => r.Parameters),
                    group.Sum(r => r.TrainableParameters),
                    group.Sum(r => r.Macs));
            })
            .ToList();
    }

    /// <summary>The per-layer rows and totals as an aligned text table.</summary>
    /// <returns>The table, lines separated by <c>\n</c>.</returns>
    public string ToTable() => SummaryTable.Format(this, Layers);

    /// <summary>The rows grouped at <paramref name="depth"/> (see <see cref="GroupByDepth"/>) as an aligned text table.</summary>
    /// <param name="depth">The depth to group at, at least 1.</param>
    /// <returns>The table, lines separated by <c>\n</c>.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="depth"/> is below 1.</exception>
    public string ToTable(int depth) => SummaryTable.Format(this, GroupByDepth(depth));

    /// <inheritdoc />
    public override string ToString() => ToTable();

    private static string Ancestor(string name, int depth)
    {
        if (name.Length == 0)
            return name;
        var parts = name.Split('.');
        return parts.Length <= depth ? name : string.Join(".", parts.Take(depth));
    }
}
