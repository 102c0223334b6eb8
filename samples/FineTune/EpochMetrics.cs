using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;

namespace ResNeStBlocks.Samples.FineTune;

/// <summary>One row of <c>metrics.csv</c>.</summary>
/// <param name="Epoch">1-based epoch.</param>
/// <param name="TrainLoss">Mean label-smoothed training loss.</param>
/// <param name="TrainTop1">Training accuracy (augmented images, train mode).</param>
/// <param name="ValLoss">Validation cross-entropy of the trained weights.</param>
/// <param name="ValTop1">Validation top-1 of the trained weights.</param>
/// <param name="ValTop5">Validation top-5 of the trained weights.</param>
/// <param name="EmaTop1">Validation top-1 of the EMA weights, or NaN without an EMA.</param>
/// <param name="EmaTop5">Validation top-5 of the EMA weights, or NaN without an EMA.</param>
/// <param name="LearningRate">Learning rate of the epoch's last step.</param>
/// <param name="ImagesPerSecond">Training throughput.</param>
/// <param name="Seconds">Wall time of the epoch, validation included.</param>
public sealed record EpochMetrics(int Epoch, double TrainLoss, double TrainTop1, double ValLoss, double ValTop1, double ValTop5,
    double EmaTop1, double EmaTop5, double LearningRate, double ImagesPerSecond, double Seconds)
{
    /// <summary>The header line of <c>metrics.csv</c>.</summary>
    public const string Header = "epoch,train_loss,train_top1,val_loss,val_top1,val_top5,ema_val_top1,ema_val_top5,lr,images_per_second,seconds";

    /// <summary>Writes every row (header first), replacing the file.</summary>
    /// <param name="path">The CSV file.</param>
    /// <param name="rows">The rows so far.</param>
    public static void WriteAll(string path, IEnumerable<EpochMetrics> rows) =>
        File.WriteAllLines(path, new[] { Header }.Concat(rows.Select(r => r.ToCsv())));

    /// <summary>Reads the rows of a file written by <see cref="WriteAll"/> (to continue it when resuming).</summary>
    /// <param name="path">The CSV file.</param>
    /// <returns>The rows, or none when the file does not exist.</returns>
    /// <exception cref="InvalidDataException">The file is not such a CSV.</exception>
    public static List<EpochMetrics> ReadAll(string path)
    {
        if (!File.Exists(path))
            return new List<EpochMetrics>();
        var lines = File.ReadAllLines(path);
        if (lines.Length == 0 || lines[0] != Header)
            throw new InvalidDataException($"{path} is not a metrics file of this sample (its first line is not '{Header}').");
        return lines.Skip(1).Where(l => l.Length > 0).Select(l => Parse(path, l)).ToList();
    }

    private string ToCsv() => string.Join(",", new[]
    {
        Epoch.ToString(CultureInfo.InvariantCulture), F(TrainLoss), F(TrainTop1), F(ValLoss), F(ValTop1), F(ValTop5),
        double.IsNaN(EmaTop1) ? "" : F(EmaTop1), double.IsNaN(EmaTop5) ? "" : F(EmaTop5), F(LearningRate), F(ImagesPerSecond), F(Seconds),
    });

    private static string F(double value) => value.ToString("G6", CultureInfo.InvariantCulture);

    private static EpochMetrics Parse(string path, string line)
    {
        var cells = line.Split(',');
        if (cells.Length != 11)
            throw new InvalidDataException($"{path}: line '{line}' has {cells.Length} fields, expected 11.");
        double D(int i) => cells[i].Length == 0 ? double.NaN : double.Parse(cells[i], CultureInfo.InvariantCulture);
        return new EpochMetrics(int.Parse(cells[0], CultureInfo.InvariantCulture), D(1), D(2), D(3), D(4), D(5), D(6), D(7), D(8), D(9), D(10));
    }
}
