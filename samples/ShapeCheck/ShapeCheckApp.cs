using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using ResNeStBlocks.Runtime;
using ResNeStBlocks.Summary;
using ResNeStBlocks.Zoo;
using Spectre.Console;
using static TorchSharp.torch;

namespace ResNeStBlocks.Samples.ShapeCheck;

/// <summary>One model's check: what was measured and whether it matched timm.</summary>
public sealed record ModelCheck(string Name, int InputSize, long Parameters, long ExpectedParameters, long Macs, IReadOnlyList<string> StageShapes, double Seconds)
{
    public bool Matches => Parameters == ExpectedParameters;
}

/// <summary>
/// Builds zoo models, runs one forward at each model's pretrained input size, and prints per-stage
/// shapes, parameters and GMACs, checking the parameter count against timm's.
/// </summary>
public static class ShapeCheckApp
{
    public static readonly string[] DefaultModels = { "resnest50d", "resnest101e", "resnest200e", "resnest269e" };

    /// <summary>Runs the check; returns the process exit code (0 when every count matches timm).</summary>
    public static int Run(IReadOnlyList<string> args, TextWriter output)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = output == Console.Out ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = output == Console.Out ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
        });
        if (args.Any(a => a is "-h" or "--help"))
        {
            console.WriteLine("Usage: ShapeCheck [model ...]   (default: " + string.Join(" ", DefaultModels) + ")");
            console.WriteLine("       ShapeCheck --device cuda[:N] [model ...]   compare GPU and CPU logits (default: every model)");
            console.WriteLine("Models: " + string.Join(", ", ModelZoo.Names));
            return 0;
        }
        int deviceOption = args.ToList().IndexOf("--device");
        if (deviceOption >= 0)
        {
            if (deviceOption + 1 >= args.Count)
            {
                console.WriteLine("--device needs a value: cuda or cuda:N.");
                return 2;
            }
            var models = args.Where((_, i) => i != deviceOption && i != deviceOption + 1).ToList();
            return DeviceCheck.Run(args[deviceOption + 1], models, output);
        }
        var names = args.Count > 0 ? args : DefaultModels;
        var unknown = names.Where(n => !ModelZoo.Contains(n)).ToList();
        if (unknown.Count > 0)
        {
            console.WriteLine($"Unknown model(s): {string.Join(", ", unknown)}. Known: {string.Join(", ", ModelZoo.Names)}");
            return 2;
        }

        var report = NativeRuntime.VerifyCpuConvolution();
        if (report.OneDnnDisabled)
            console.WriteLine("note: oneDNN convolutions are wrong on this CPU; using libtorch's own kernels.");

        var checks = names.Select(Check).ToList();
        console.Write(StageTable(checks));
        console.Write(SummaryTable(checks));
        int failures = checks.Count(c => !c.Matches);
        console.WriteLine(failures == 0
            ? $"All {checks.Count} parameter counts match timm."
            : $"{failures} of {checks.Count} parameter counts differ from timm.");
        return failures == 0 ? 0 : 1;
    }

    private static ModelCheck Check(string name)
    {
        var watch = Stopwatch.StartNew();
        int size = ModelZoo.Pretrained(name).InputSize;
        using var model = ModelZoo.Create(name);
        model.eval();
        var summary = model.Summarize(1, 3, size, size);
        var stages = summary.GroupByDepth(1)
            .Where(row => row.Name.StartsWith("layer", StringComparison.Ordinal))
            .Select(row => string.Join("x", (row.OutputShape ?? Array.Empty<long>()).Skip(1)))
            .ToList();
        return new ModelCheck(name, size, summary.TotalParameters, ModelZoo.TimmParameterCount(name), summary.TotalMacs, stages,
            watch.Elapsed.TotalSeconds);
    }

    private static Table StageTable(IReadOnlyList<ModelCheck> checks)
    {
        var table = new Table().Border(TableBorder.Rounded).Title("Stage outputs, channels x height x width");
        table.AddColumn("model");
        table.AddColumn(new TableColumn("input").RightAligned());
        int stages = checks.Max(c => c.StageShapes.Count);
        for (int i = 0; i < stages; i++)
            table.AddColumn(new TableColumn($"layer{i + 1}").RightAligned());
        foreach (var c in checks)
            table.AddRow(new[] { c.Name, $"{c.InputSize}x{c.InputSize}" }
                .Concat(Enumerable.Range(0, stages).Select(i => i < c.StageShapes.Count ? c.StageShapes[i] : ""))
                .Select(Markup.Escape).ToArray());
        return table;
    }

    private static Table SummaryTable(IReadOnlyList<ModelCheck> checks)
    {
        var culture = CultureInfo.InvariantCulture;
        var table = new Table().Border(TableBorder.Rounded).Title("Parameters and compute");
        table.AddColumn("model");
        table.AddColumn(new TableColumn("parameters").RightAligned());
        table.AddColumn(new TableColumn("timm").RightAligned());
        table.AddColumn(new TableColumn("GMACs").RightAligned());
        table.AddColumn(new TableColumn("seconds").RightAligned());
        table.AddColumn("check");
        foreach (var c in checks)
            table.AddRow(
                Markup.Escape(c.Name),
                c.Parameters.ToString("N0", culture),
                c.ExpectedParameters.ToString("N0", culture),
                (c.Macs / 1e9).ToString("F2", culture),
                c.Seconds.ToString("F1", culture),
                c.Matches ? "[green]ok[/]" : "[red]MISMATCH[/]");
        return table;
    }
}
