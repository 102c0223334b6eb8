using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using ResNeStBlocks.Samples.Progress;
using ScottPlot;
using SkiaSharp;

namespace ResNeStBlocks.Samples.Detect;

/// <summary>One row of metrics.csv: an epoch's time, rate, mean training losses and validation APs.</summary>
/// <param name="Epoch">The epoch, from 1.</param>
/// <param name="Seconds">Wall time of the epoch (training and evaluation).</param>
/// <param name="LearningRate">The rate of its last step.</param>
/// <param name="Losses">Mean losses by name, <c>loss</c> (their sum) first.</param>
/// <param name="AP">AP at IoU 0.50:0.95.</param>
/// <param name="AP50">AP at IoU 0.5.</param>
/// <param name="AP75">AP at IoU 0.75.</param>
/// <param name="ClassAP">Each class's AP (0.50:0.95), by class name; -1 without ground truth.</param>
public sealed record DetectRow(int Epoch, double Seconds, double LearningRate, IReadOnlyList<(string Name, double Value)> Losses,
    double AP, double AP50, double AP75, IReadOnlyList<(string Name, double Value)> ClassAP);

/// <summary>metrics.csv, the charts and the overlays a run writes.</summary>
public static class DetectOutputs
{
    /// <summary>Writes metrics.csv and training-curves.png from every row so far.</summary>
    /// <param name="directory">The run's folder.</param>
    /// <param name="rows">The rows.</param>
    public static void WriteMetrics(string directory, IReadOnlyList<DetectRow> rows)
    {
        if (rows.Count == 0)
            return;
        string F(double v) => v.ToString("0.######", CultureInfo.InvariantCulture);
        var first = rows[0];
        var lines = new List<string>
        {
            string.Join(",", new[] { "epoch", "seconds", "lr" }.Concat(first.Losses.Select(l => l.Name)).Concat(new[] { "AP", "AP50", "AP75" })
                .Concat(first.ClassAP.Select(c => "AP_" + c.Name))),
        };
        lines.AddRange(rows.Select(r => string.Join(",", new[] { r.Epoch.ToString(CultureInfo.InvariantCulture), F(r.Seconds), F(r.LearningRate) }
            .Concat(r.Losses.Select(l => F(l.Value))).Concat(new[] { F(r.AP), F(r.AP50), F(r.AP75) }).Concat(r.ClassAP.Select(c => F(c.Value))))));
        File.WriteAllLines(Path.Combine(directory, "metrics.csv"), lines);
        var series = first.Losses.Select((l, i) => new EpochCurves.Series(l.Name, rows.Select(r => r.Losses[i].Value).ToArray(), false))
            .Append(new EpochCurves.Series("AP (%)", rows.Select(r => 100 * Math.Max(0, r.AP)).ToArray(), true))
            .Append(new EpochCurves.Series("AP50 (%)", rows.Select(r => 100 * Math.Max(0, r.AP50)).ToArray(), true));
        EpochCurves.Save(Path.Combine(directory, "training-curves.png"), "Detect: training losses and validation AP", "AP (%)",
            rows.Select(r => r.Epoch).ToArray(), series);
    }

    /// <summary>Reads metrics.csv back (a resumed run continues its rows), keeping the epochs up to <paramref name="epoch"/>.</summary>
    /// <param name="directory">The run's folder.</param>
    /// <param name="epoch">The checkpoint's epoch.</param>
    /// <returns>The rows.</returns>
    public static List<DetectRow> ReadMetrics(string directory, int epoch)
    {
        string path = Path.Combine(directory, "metrics.csv");
        var rows = new List<DetectRow>();
        if (!File.Exists(path))
            return rows;
        var lines = File.ReadAllLines(path);
        var header = lines[0].Split(',');
        int ap = Array.IndexOf(header, "AP");
        foreach (var line in lines.Skip(1))
        {
            var v = line.Split(',').Select(s => double.Parse(s, CultureInfo.InvariantCulture)).ToArray();
            if ((int)v[0] > epoch)
                break;
            rows.Add(new DetectRow((int)v[0], v[1], v[2], Enumerable.Range(3, ap - 3).Select(i => (header[i], v[i])).ToArray(), v[ap], v[ap + 1], v[ap + 2],
                Enumerable.Range(ap + 3, header.Length - ap - 3).Select(i => (header[i][3..], v[i])).ToArray()));
        }
        return rows;
    }

    /// <summary>Writes precision-recall.png: each class's curve at IoU 0.5.</summary>
    /// <param name="path">The PNG.</param>
    /// <param name="curves">The curves.</param>
    /// <param name="epoch">The epoch they come from.</param>
    public static void WritePrecisionRecall(string path, IReadOnlyList<(string Name, double[] Recall, double[] Precision)> curves, int epoch)
    {
        var plot = new Plot();
        foreach (var (name, recall, precision) in curves)
        {
            var line = plot.Add.Scatter(recall, precision);
            line.LegendText = name;
            line.MarkerSize = 0;
        }
        plot.Title($"Precision-recall at IoU 0.5 (epoch {epoch}, pycocotools' 101-point interpolation)");
        plot.Axes.Bottom.Label.Text = "recall";
        plot.Axes.Left.Label.Text = "precision";
        plot.Axes.SetLimits(0, 1, 0, 1.02);
        plot.ShowLegend(Alignment.LowerLeft);
        plot.SavePng(path, EpochCurves.Width, EpochCurves.Height);
    }

    private static readonly SKColor[] Palette =
    {
        new(230, 25, 75), new(60, 180, 75), new(0, 130, 200), new(245, 130, 48), new(145, 30, 180),
        new(70, 240, 240), new(240, 50, 230), new(210, 245, 60), new(250, 190, 190), new(0, 128, 128),
    };

    /// <summary>The colour of a label in overlays.</summary>
    /// <param name="label">The label.</param>
    /// <returns>The colour.</returns>
    public static SKColor Colour(long label) => Palette[(int)((label - 1 + Palette.Length) % Palette.Length)];

    /// <summary>Draws boxes with their labels (and scores) on a copy of an image.</summary>
    /// <param name="imagePath">The image file.</param>
    /// <param name="boxes">Corners per box.</param>
    /// <param name="labels">Labels per box.</param>
    /// <param name="scores">Scores per box, or null (ground truth).</param>
    /// <param name="names">Class names by label.</param>
    /// <param name="scale">The drawing's scale (small images are enlarged so the text reads).</param>
    /// <returns>The drawing.</returns>
    public static SKBitmap Draw(string imagePath, IReadOnlyList<float[]> boxes, IReadOnlyList<long> labels, IReadOnlyList<float>? scores,
        IReadOnlyList<string> names, float scale)
    {
        using var source = SKBitmap.Decode(imagePath) ?? throw new InvalidDataException($"Cannot decode {imagePath}.");
        var bitmap = new SKBitmap((int)(source.Width * scale), (int)(source.Height * scale));
        using var canvas = new SKCanvas(bitmap);
        using (var image = SKImage.FromBitmap(source))
            canvas.DrawImage(image, new SKRect(0, 0, bitmap.Width, bitmap.Height), new SKSamplingOptions(SKFilterMode.Linear));
        using var font = new SKFont(SKTypeface.Default, 11);
        for (int k = 0; k < boxes.Count; k++)
        {
            var b = boxes[k];
            using var stroke = new SKPaint { Color = Colour(labels[k]), Style = SKPaintStyle.Stroke, StrokeWidth = 2, IsAntialias = true };
            canvas.DrawRect(new SKRect(b[0] * scale, b[1] * scale, b[2] * scale, b[3] * scale), stroke);
            string text = names[(int)labels[k]] + (scores is null ? "" : $" {scores[k]:0.00}");
            using var fill = new SKPaint { Color = Colour(labels[k]) };
            float width = font.MeasureText(text);
            float top = Math.Max(0, b[1] * scale - 13);
            canvas.DrawRect(new SKRect(b[0] * scale, top, b[0] * scale + width + 4, top + 13), fill);
            using var white = new SKPaint { Color = SKColors.White, IsAntialias = true };
            canvas.DrawText(text, b[0] * scale + 2, top + 10, font, white);
        }
        return bitmap;
    }

    /// <summary>Writes a PNG.</summary>
    /// <param name="bitmap">The picture.</param>
    /// <param name="path">The file.</param>
    public static void SavePng(SKBitmap bitmap, string path)
    {
        using var image = SKImage.FromBitmap(bitmap);
        using var png = image.Encode(SKEncodedImageFormat.Png, 100);
        using var stream = File.Create(path);
        png.SaveTo(stream);
    }

    /// <summary>
    /// Writes overlays.png: for each of the first validation images a row of two panels, the ground truth (left) and the
    /// detections scoring at least <paramref name="threshold"/> (right), boxes in each class's colour with its name (and score).
    /// </summary>
    /// <param name="path">The PNG.</param>
    /// <param name="data">The data.</param>
    /// <param name="found">The detections of each validation image.</param>
    /// <param name="threshold">The lowest score drawn.</param>
    /// <param name="count">Images drawn.</param>
    public static void WriteOverlays(string path, DetectionData data, IReadOnlyList<HostDetections> found, double threshold, int count = 6)
    {
        var panels = new List<(SKBitmap Truth, SKBitmap Predicted)>();
        try
        {
            for (int i = 0; i < Math.Min(count, data.Val.Count); i++)
            {
                var item = data.Val[i];
                var target = item.Target(false);
                float[][] truthBoxes;
                long[] truthLabels;
                using (target.Boxes)
                using (target.Labels)
                {
                    var flat = target.Boxes.numel() == 0 ? Array.Empty<float>() : target.Boxes.data<float>().ToArray();
                    truthBoxes = Enumerable.Range(0, flat.Length / 4).Select(k => flat[(4 * k)..(4 * k + 4)]).ToArray();
                    truthLabels = target.Labels.numel() == 0 ? Array.Empty<long>() : target.Labels.data<long>().ToArray();
                }
                var f = found[i];
                var kept = Enumerable.Range(0, f.Scores.Length).Where(k => f.Scores[k] >= threshold).ToArray();
                using var probe = SKBitmap.Decode(item.ImagePath);
                float scale = Math.Max(1, 256f / Math.Max(probe.Width, probe.Height));
                panels.Add((Draw(item.ImagePath, truthBoxes, truthLabels, null, data.Classes.Names, scale),
                    Draw(item.ImagePath, kept.Select(k => new[] { f.Boxes[k, 0], f.Boxes[k, 1], f.Boxes[k, 2], f.Boxes[k, 3] }).ToArray(),
                        kept.Select(k => f.Labels[k]).ToArray(), kept.Select(k => f.Scores[k]).ToArray(), data.Classes.Names, scale)));
            }
            if (panels.Count == 0)
                return;
            int gap = 6, width = panels.Max(p => p.Truth.Width) * 2 + 3 * gap, height = panels.Sum(p => p.Truth.Height + gap) + gap + 18;
            using var sheet = new SKBitmap(width, height);
            using var canvas = new SKCanvas(sheet);
            canvas.Clear(SKColors.White);
            using var font = new SKFont(SKTypeface.Default, 13);
            using var black = new SKPaint { Color = SKColors.Black, IsAntialias = true };
            canvas.DrawText("ground truth", gap, 14, font, black);
            canvas.DrawText($"predictions (score >= {threshold:0.##})", panels[0].Truth.Width + 2 * gap, 14, font, black);
            int y = 18 + gap;
            foreach (var (truth, predicted) in panels)
            {
                canvas.DrawBitmap(truth, gap, y);
                canvas.DrawBitmap(predicted, truth.Width + 2 * gap, y);
                y += truth.Height + gap;
            }
            SavePng(sheet, path);
        }
        finally
        {
            foreach (var (truth, predicted) in panels)
            {
                truth.Dispose();
                predicted.Dispose();
            }
        }
    }
}
