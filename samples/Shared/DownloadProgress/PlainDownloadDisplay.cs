using System;
using System.Globalization;
using System.IO;
using ResNeStBlocks.Hub;

namespace ResNeStBlocks.Samples.Progress;

/// <summary>One line when a download starts, one per tenth of it, one at the end: readable in logs and pipes.</summary>
public sealed class PlainDownloadDisplay : IDownloadDisplay
{
    private readonly TextWriter writer;

    /// <summary>Creates the display.</summary>
    /// <param name="writer">Where the lines go (standard error, so standard output stays the result).</param>
    public PlainDownloadDisplay(TextWriter writer) => this.writer = writer;

    /// <inheritdoc />
    public string Show(string description, string destination, Func<IProgress<HubDownloadProgress>, string> download)
    {
        writer.WriteLine($"Downloading {description} into {destination}");
        var lines = new Lines(writer);
        string path = download(lines);
        writer.WriteLine($"Saved {path}");
        return path;
    }

    private sealed class Lines : IProgress<HubDownloadProgress>
    {
        private readonly TextWriter writer;
        private int lastTenth = -1;

        public Lines(TextWriter writer) => this.writer = writer;

        public void Report(HubDownloadProgress value)
        {
            int tenth = (int)Math.Floor(value.Fraction * 10);
            if (tenth == lastTenth)
                return;
            lastTenth = tenth;
            writer.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {value.Fraction,4:0%}  {value.BytesDone / 1e6,7:0.0} of {value.TotalBytes / 1e6:0.0} MB  {value.BytesPerSecond / 1e6:0.0} MB/s"));
        }
    }
}
