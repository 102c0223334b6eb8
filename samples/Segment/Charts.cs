using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using ScottPlot;
using ResNeStBlocks.Samples.OnnxImages;

namespace ResNeStBlocks.Samples.Segment;

/// <summary>The PNG charts a run leaves behind (ScottPlot, rendered headless).</summary>
public static class Charts
{
    /// <summary>Width of <c>training.png</c> in pixels.</summary>
    public const int TrainingWidth = 900;

    /// <summary>Height of <c>training.png</c> in pixels.</summary>
    public const int TrainingHeight = 500;

    /// <summary>Height of <c>iou.png</c> in pixels.</summary>
    public const int IouHeight = 500;

    /// <summary>Training and validation loss (left axis), validation mean IoU and pixel accuracy (right axis) per epoch.</summary>
    /// <param name="path">The PNG to write.</param>
    /// <param name="rows">One row per epoch.</param>
    public static void SaveTraining(string path, IReadOnlyList<EpochMetrics> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var plot = new Plot();
        double[] epochs = rows.Select(r => (double)r.Epoch).ToArray();
        void Line(IEnumerable<double> values, string legend, bool right)
        {
            var line = plot.Add.Scatter(epochs, values.ToArray());
            line.LegendText = legend;
            if (right)
                line.Axes.YAxis = plot.Axes.Right;
        }
        Line(rows.Select(r => r.TrainLoss), "training loss", right: false);
        Line(rows.Select(r => r.ValLoss), "validation loss", right: false);
        Line(rows.Select(r => 100 * r.MeanIoU), "validation mIoU (%)", right: true);
        Line(rows.Select(r => 100 * r.PixelAccuracy), "validation pixel accuracy (%)", right: true);
        if (rows.Any(r => !double.IsNaN(r.EmaMeanIoU)))
            Line(rows.Select(r => 100 * r.EmaMeanIoU), "EMA validation mIoU (%)", right: true);
        plot.Title("Segmentation training");
        plot.Axes.Bottom.Label.Text = "epoch";
        plot.Axes.Left.Label.Text = "loss";
        plot.Axes.Right.Label.Text = "mIoU, pixel accuracy (%)";
        plot.Axes.SetLimitsY(0, 100, plot.Axes.Right);
        plot.ShowLegend(Alignment.MiddleRight);
        plot.SavePng(path, TrainingWidth, TrainingHeight);
    }

    /// <summary>Width of <c>iou.png</c> for <paramref name="classes"/> classes.</summary>
    /// <param name="classes">Number of classes.</param>
    /// <returns>Pixels.</returns>
    public static int IouWidth(int classes) => Math.Clamp(200 + 70 * classes, 500, 2400);

    /// <summary>One bar per class: its IoU in percent, with the value written above the bar (classes without an IoU get none).</summary>
    /// <param name="path">The PNG to write.</param>
    /// <param name="classIoU">IoU per class (NaN where undefined).</param>
    /// <param name="classes">Class names.</param>
    /// <param name="title">The chart's title.</param>
    public static void SaveClassIoU(string path, IReadOnlyList<double> classIoU, IReadOnlyList<string> classes, string title)
    {
        ArgumentNullException.ThrowIfNull(classIoU);
        ArgumentNullException.ThrowIfNull(classes);
        var plot = new Plot();
        var bars = classIoU.Select((iou, i) => new Bar
        {
            Position = i,
            Value = double.IsNaN(iou) ? 0 : 100 * iou,
            Label = double.IsNaN(iou) ? "n/a" : (100 * iou).ToString("0.0", CultureInfo.InvariantCulture),
            FillColor = VocPalette.Colour(i) is var (r, g, b) ? new Color(r, g, b) : Colors.Gray,
        }).ToList();
        var series = plot.Add.Bars(bars);
        series.ValueLabelStyle.FontSize = 14;
        plot.Axes.Bottom.SetTicks(Enumerable.Range(0, classes.Count).Select(i => (double)i).ToArray(), classes.ToArray());
        plot.Axes.SetLimits(-0.6, classes.Count - 0.4, 0, 105);
        plot.Axes.Left.Label.Text = "IoU (%)";
        plot.Title(title);
        plot.SavePng(path, IouWidth(classes.Count), IouHeight);
    }
}
