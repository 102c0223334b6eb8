using System;
using System.Collections.Generic;
using System.Linq;
using ScottPlot;

namespace ResNeStBlocks.Samples.Progress;

/// <summary>
/// The <c>training.png</c> of the training samples: losses on the left axis and percentages (accuracy, IoU) on a
/// 0-100 right axis, one line per series over the epochs (ScottPlot, rendered headless).
/// </summary>
public static class EpochCurves
{
    /// <summary>Width of the chart in pixels.</summary>
    public const int Width = 900;

    /// <summary>Height of the chart in pixels.</summary>
    public const int Height = 500;

    /// <summary>One line of the chart.</summary>
    /// <param name="Legend">Its legend text.</param>
    /// <param name="Values">One value per epoch; percentages for the right axis already scaled to 0-100.</param>
    /// <param name="OnRightAxis">Read against the right (percentage) axis rather than the loss axis.</param>
    public sealed record Series(string Legend, IReadOnlyList<double> Values, bool OnRightAxis);

    /// <summary>Draws the series over <paramref name="epochs"/> and writes the PNG.</summary>
    /// <param name="path">The PNG to write.</param>
    /// <param name="title">The chart's title.</param>
    /// <param name="rightAxisLabel">What the right axis measures, such as <c>accuracy (%)</c>.</param>
    /// <param name="epochs">The epoch numbers.</param>
    /// <param name="series">The lines, in legend order.</param>
    public static void Save(string path, string title, string rightAxisLabel, IReadOnlyList<int> epochs, IEnumerable<Series> series)
    {
        ArgumentNullException.ThrowIfNull(epochs);
        ArgumentNullException.ThrowIfNull(series);
        var plot = new Plot();
        double[] x = epochs.Select(e => (double)e).ToArray();
        foreach (var line in series)
        {
            var scatter = plot.Add.Scatter(x, line.Values.ToArray());
            scatter.LegendText = line.Legend;
            if (line.OnRightAxis)
                scatter.Axes.YAxis = plot.Axes.Right;
        }
        plot.Title(title);
        plot.Axes.Bottom.Label.Text = "epoch";
        plot.Axes.Left.Label.Text = "loss";
        plot.Axes.Right.Label.Text = rightAxisLabel;
        plot.Axes.SetLimitsY(0, 100, plot.Axes.Right);
        plot.ShowLegend(Alignment.MiddleRight);
        plot.SavePng(path, Width, Height);
    }
}
