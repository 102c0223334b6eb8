using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace ResNeStBlocks.Summary;

/// <summary>Text rendering of a <see cref="ModelSummary"/>: left-aligned names, right-aligned numbers.</summary>
internal static class SummaryTable
{
    private static readonly string[] Headers = { "Layer", "Type", "Output shape", "Params", "MACs" };
    private static readonly bool[] RightAligned = { false, false, false, true, true };
    private const string Gap = "  ";

    public static string Format(ModelSummary summary, IReadOnlyList<LayerSummary> rows)
    {
        var cells = rows.Select(r => new[]
        {
            r.Name.Length == 0 ? "(root)" : r.Name,
            r.Type,
            r.OutputShape is null ? "-" : Shape(r.OutputShape),
            Count(r.Parameters),
            Count(r.Macs),
        }).ToList();
        var widths = Enumerable.Range(0, Headers.Length)
            .Select(c => cells.Select(row => row[c].Length).Append(Headers[c].Length).Max())
            .ToArray();
        int total = widths.Sum() + Gap.Length * (widths.Length - 1);
        string rule = new('-', total);

        var text = new StringBuilder();
        Line(text, Headers, widths);
        text.Append(rule).Append('\n');
        foreach (var row in cells)
            Line(text, row, widths);
        text.Append(rule).Append('\n');
        text.Append("Input shape: ").Append(Shape(summary.InputShape)).Append('\n');
        text.Append("Total params: ").Append(Count(summary.TotalParameters)).Append('\n');
        text.Append("Trainable params: ").Append(Count(summary.TrainableParameters)).Append('\n');
        text.Append("Non-trainable params: ").Append(Count(summary.NonTrainableParameters)).Append('\n');
        text.Append("MACs per sample: ").Append(Count(summary.TotalMacs))
            .Append(" (").Append(Scaled(summary.TotalMacs)).Append(")\n");
        if (summary.UnobservedLayers.Count > 0)
            text.Append("Not observed (no hook fired; MACs may be undercounted): ")
                .Append(string.Join(", ", summary.UnobservedLayers.Select(n => n.Length == 0 ? "(root)" : n))).Append('\n');
        return text.ToString();
    }

    private static void Line(StringBuilder text, IReadOnlyList<string> cells, int[] widths)
    {
        var padded = cells.Select((cell, c) => RightAligned[c] ? cell.PadLeft(widths[c]) : cell.PadRight(widths[c]));
        text.Append(string.Join(Gap, padded).TrimEnd()).Append('\n');
    }

    private static string Shape(IReadOnlyList<long> shape) =>
        "[" + string.Join(", ", shape.Select(d => d.ToString(CultureInfo.InvariantCulture))) + "]";

    private static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static string Scaled(long value)
    {
        (double Factor, string Suffix)[] units = { (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "K") };
        foreach (var (factor, suffix) in units)
            if (Math.Abs(value) >= factor)
                return (value / factor).ToString("0.00", CultureInfo.InvariantCulture) + " " + suffix;
        return value.ToString(CultureInfo.InvariantCulture);
    }
}
