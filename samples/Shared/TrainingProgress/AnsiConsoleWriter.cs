using System.IO;
using System.Text;
using Spectre.Console;

namespace ResNeStBlocks.Samples.Progress;

/// <summary>Writes lines through Spectre.Console, so they appear above a live progress display instead of breaking it.</summary>
public sealed class AnsiConsoleWriter : TextWriter
{
    private readonly StringBuilder line = new();

    public override Encoding Encoding => Encoding.UTF8;

    public override void Write(char value)
    {
        if (value == '\n')
        {
            AnsiConsole.Write(new Text(line.ToString().TrimEnd('\r') + "\n"));
            line.Clear();
        }
        else
        {
            line.Append(value);
        }
    }
}
