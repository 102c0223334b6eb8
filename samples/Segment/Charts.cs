using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using ResNeStBlocks.Samples.OnnxImages;
using ResNeStBlocks.Samples.Progress;
using ScottPlot;

namespace ResNeStBlocks.Samples.Segment;

/// <summary>The PNG charts a run leaves behind (ScottPlot, rendered headless).</summary>
public static class Charts
{
    /// <summary>Height of <c>iou.png</c> in pixels.</summary>
    public const int IouHeight = 500;

    /// <summary>Training and validation loss (left axis), validation mean IoU and pixel accuracy (right axis) per epoch.</summary>
    /// <param name="path">The PNG to write.</param>
    /// <param name="rows">One row per epoch.</param>
    public static void SaveTraining(string path, IReadOnlyList<EpochMetrics> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var series = new List<EpochCurves.Series>
        {
            new("training loss", rows.Select(r => r.TrainLoss).ToArray(), OnRightAxis: false),
            new("validation loss", rows.Select(r => r.ValLoss).ToArray(), OnRightAxis: false),
            new("validation mIoU (%)", rows.Select(r => 100 * r.MeanIoU).ToArray(), OnRightAxis: true),
            new("validation pixel accuracy (%)", rows.Select(r => 100 * r.PixelAccuracy).ToArray(), OnRightAxis: true),
        };
        if (rows.Any(r => !double.IsNaN(r.EmaMeanIoU)))
            series.Add(new("EMA validation mIoU (%)", rows.Select(r => 100 * r.EmaMeanIoU).ToArray(), OnRightAxis: true));
        EpochCurves.Save(path, "Segmentation training", "mIoU, pixel accuracy (%)", rows.Select(r => r.Epoch).ToArray(), series);
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
