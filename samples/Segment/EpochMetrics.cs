using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;

namespace ResNeStBlocks.Samples.Segment;

/// <summary>One row of <c>metrics.csv</c>.</summary>
/// <param name="Epoch">1-based epoch.</param>
/// <param name="TrainLoss">Mean training loss (main plus weighted auxiliary cross-entropy).</param>
/// <param name="TrainPixelAccuracy">Pixel accuracy of the main output on the augmented training crops.</param>
/// <param name="ValLoss">Validation cross-entropy of the trained weights' main output.</param>
/// <param name="PixelAccuracy">Validation pixel accuracy of the trained weights.</param>
/// <param name="MeanIoU">Validation mean IoU of the trained weights.</param>
/// <param name="EmaPixelAccuracy">Validation pixel accuracy of the EMA weights, or NaN without an EMA.</param>
/// <param name="EmaMeanIoU">Validation mean IoU of the EMA weights, or NaN without an EMA.</param>
/// <param name="LearningRate">Learning rate of the epoch's last step.</param>
/// <param name="ImagesPerSecond">Training throughput.</param>
/// <param name="Seconds">Wall time of the epoch, validation included.</param>
/// <param name="ClassIoU">Validation IoU of each class for the trained weights (NaN where the class is neither present nor predicted).</param>
public sealed record EpochMetrics(int Epoch, double TrainLoss, double TrainPixelAccuracy, double ValLoss, double PixelAccuracy, double MeanIoU,
    double EmaPixelAccuracy, double EmaMeanIoU, double LearningRate, double ImagesPerSecond, double Seconds, IReadOnlyList<double> ClassIoU)
{
    private const int FixedColumns = 11;

    /// <summary>The header line of <c>metrics.csv</c> for these classes: the fixed columns, then <c>iou_NAME</c> per class.</summary>
    /// <param name="classes">Class names (commas and spaces become underscores).</param>
    /// <returns>The header.</returns>
    public static string Header(IReadOnlyList<string> classes)
    {
        ArgumentNullException.ThrowIfNull(classes);
        return "epoch,train_loss,train_pixel_accuracy,val_loss,pixel_accuracy,mean_iou,ema_pixel_accuracy,ema_mean_iou,lr,images_per_second,seconds," +
            string.Join(",", classes.Select(c => "iou_" + c.Replace(',', '_').Replace(' ', '_')));
    }

    /// <summary>Writes every row (header first), replacing the file.</summary>
    /// <param name="path">The CSV file.</param>
    /// <param name="classes">Class names.</param>
    /// <param name="rows">The rows so far.</param>
    public static void WriteAll(string path, IReadOnlyList<string> classes, IEnumerable<EpochMetrics> rows) =>
        File.WriteAllLines(path, new[] { Header(classes) }.Concat(rows.Select(r => r.ToCsv())));

    /// <summary>Reads the rows of a file written by <see cref="WriteAll"/> for the same classes (to continue it when resuming).</summary>
    /// <param name="path">The CSV file.</param>
    /// <param name="classes">Class names.</param>
    /// <returns>The rows, or none when the file does not exist.</returns>
    /// <exception cref="InvalidDataException">The file is not such a CSV.</exception>
    public static List<EpochMetrics> ReadAll(string path, IReadOnlyList<string> classes)
    {
        if (!File.Exists(path))
            return new List<EpochMetrics>();
        var lines = File.ReadAllLines(path);
        string header = Header(classes);
        if (lines.Length == 0 || lines[0] != header)
            throw new InvalidDataException($"{path} is not a metrics file of this sample for these classes (its first line is not '{header}').");
        return lines.Skip(1).Where(l => l.Length > 0).Select(l => Parse(path, l, classes.Count)).ToList();
    }

    private string ToCsv() => string.Join(",", new[]
    {
        Epoch.ToString(CultureInfo.InvariantCulture), F(TrainLoss), F(TrainPixelAccuracy), F(ValLoss), F(PixelAccuracy), F(MeanIoU),
        F(EmaPixelAccuracy), F(EmaMeanIoU), F(LearningRate), F(ImagesPerSecond), F(Seconds),
    }.Concat(ClassIoU.Select(F)));

    private static string F(double value) => double.IsNaN(value) ? "" : value.ToString("G6", CultureInfo.InvariantCulture);

    private static EpochMetrics Parse(string path, string line, int classes)
    {
        var cells = line.Split(',');
        if (cells.Length != FixedColumns + classes)
            throw new InvalidDataException($"{path}: line '{line}' has {cells.Length} fields, expected {FixedColumns + classes}.");
        double D(int i) => cells[i].Length == 0 ? double.NaN : double.Parse(cells[i], CultureInfo.InvariantCulture);
        return new EpochMetrics(int.Parse(cells[0], CultureInfo.InvariantCulture), D(1), D(2), D(3), D(4), D(5), D(6), D(7), D(8), D(9), D(10),
            Enumerable.Range(FixedColumns, classes).Select(D).ToArray());
    }
}
