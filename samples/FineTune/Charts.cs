using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using ResNeStBlocks.Samples.Progress;
using ScottPlot;

namespace ResNeStBlocks.Samples.FineTune;

/// <summary>The PNG charts a run leaves behind (ScottPlot, rendered headless).</summary>
public static class Charts
{
    /// <summary>Training and validation loss (left axis) and validation accuracy (right axis) per epoch.</summary>
    /// <param name="path">The PNG to write.</param>
    /// <param name="rows">One row per epoch.</param>
    public static void SaveTraining(string path, IReadOnlyList<EpochMetrics> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var series = new List<EpochCurves.Series>
        {
            new("training loss", rows.Select(r => r.TrainLoss).ToArray(), OnRightAxis: false),
            new("validation loss", rows.Select(r => r.ValLoss).ToArray(), OnRightAxis: false),
            new("validation top-1 (%)", rows.Select(r => 100 * r.ValTop1).ToArray(), OnRightAxis: true),
        };
        if (rows.Any(r => !double.IsNaN(r.EmaTop1)))
            series.Add(new("EMA validation top-1 (%)", rows.Select(r => 100 * r.EmaTop1).ToArray(), OnRightAxis: true));
        EpochCurves.Save(path, "Fine-tuning", "accuracy (%)", rows.Select(r => r.Epoch).ToArray(), series);
    }

    /// <summary>Side of <c>confusion.png</c> for <paramref name="classes"/> classes.</summary>
    /// <param name="classes">Number of classes.</param>
    /// <returns>Pixels (the image is square).</returns>
    public static int ConfusionSize(int classes) => Math.Clamp(240 + 60 * classes, 400, 2400);

    /// <summary>The confusion matrix as a heat map with the count in each cell; rows are true classes, columns predictions.</summary>
    /// <param name="path">The PNG to write.</param>
    /// <param name="confusion">Counts <c>[true, predicted]</c>.</param>
    /// <param name="classes">Class names.</param>
    /// <param name="title">The chart's title.</param>
    public static void SaveConfusion(string path, long[,] confusion, IReadOnlyList<string> classes, string title)
    {
        ArgumentNullException.ThrowIfNull(confusion);
        ArgumentNullException.ThrowIfNull(classes);
        int n = classes.Count;
        // Shade by the share of each true class, so small classes are as visible as large ones.
        var shares = new double[n, n];
        var shading = new double[n, n];
        for (int t = 0; t < n; t++)
        {
            double total = Math.Max(1, Enumerable.Range(0, n).Sum(p => confusion[t, p]));
            for (int p = 0; p < n; p++)
            {
                shares[t, p] = confusion[t, p] / total;
                // ScottPlot draws the heat map's first row at the bottom of its extent and its colormap light for high
                // values; rows are reversed and values inverted so row t sits beside label t and large shares are dark.
                shading[n - 1 - t, p] = 1 - shares[t, p];
            }
        }
        var plot = new Plot();
        var heatmap = plot.Add.Heatmap(shading);
        heatmap.Colormap = new ScottPlot.Colormaps.Blues();
        heatmap.Extent = new CoordinateRect(-0.5, n - 0.5, n - 0.5, -0.5);
        for (int t = 0; t < n; t++)
        {
            for (int p = 0; p < n; p++)
            {
                var label = plot.Add.Text(confusion[t, p].ToString(CultureInfo.InvariantCulture), p, t);
                label.LabelAlignment = Alignment.MiddleCenter;
                label.LabelFontColor = shares[t, p] > 0.5 ? Colors.White : Colors.Black;
                label.LabelFontSize = 14;
            }
        }
        double[] positions = Enumerable.Range(0, n).Select(i => (double)i).ToArray();
        plot.Axes.Bottom.SetTicks(positions, classes.ToArray());
        plot.Axes.Left.SetTicks(positions, classes.ToArray());
        plot.Axes.SetLimits(-0.5, n - 0.5, n - 0.5, -0.5);
        plot.Axes.Bottom.Label.Text = "predicted";
        plot.Axes.Left.Label.Text = "true";
        plot.Title(title);
        int size = ConfusionSize(n);
        plot.SavePng(path, size, size);
    }
}
