using System;
using System.Globalization;
using System.IO;
using System.Linq;

namespace ResNeStBlocks.Samples.Classify;

/// <summary>Prints a <see cref="ClassifyResult"/> as a plain aligned table.</summary>
public static class ResultTable
{
    private const int MaxNameWidth = 60;

    /// <summary>Writes the heading and one row per prediction.</summary>
    /// <param name="result">The result.</param>
    /// <param name="output">Where to write.</param>
    public static void Write(ClassifyResult result, TextWriter output)
    {
        var p = result.Preprocessing;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{Path.GetFileName(result.ImagePath)}: {result.Model} ({p.InputSize}x{p.InputSize}, {p.Interpolation.ToString().ToLowerInvariant()}, crop {p.CropFraction})"));
        output.WriteLine();

        var names = result.Predictions.Select(r => DisplayName(r.Name)).ToArray();
        int nameWidth = Math.Max("class".Length, names.Max(n => n.Length));
        output.WriteLine($"{"rank",4}  {"index",5}  {"class".PadRight(nameWidth)}  {"probability",11}");
        output.WriteLine($"{new string('-', 4)}  {new string('-', 5)}  {new string('-', nameWidth)}  {new string('-', 11)}");
        for (int i = 0; i < result.Predictions.Count; i++)
        {
            var row = result.Predictions[i];
            string probability = (row.Probability * 100).ToString("0.00", CultureInfo.InvariantCulture) + " %";
            output.WriteLine($"{row.Rank,4}  {row.ClassIndex,5}  {names[i].PadRight(nameWidth)}  {probability,11}");
        }
    }

    /// <summary>A class name as the table prints it: names longer than 60 characters are cut to 57 and end in "...".</summary>
    /// <param name="name">The class name.</param>
    /// <returns>The printed name.</returns>
    public static string DisplayName(string name) => name.Length <= MaxNameWidth ? name : name[..(MaxNameWidth - 3)] + "...";
}
