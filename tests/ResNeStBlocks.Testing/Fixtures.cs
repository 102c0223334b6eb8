using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;

namespace ResNeStBlocks.Testing;

/// <summary>The timm reference fixtures copied into tests/fixtures (see tests/fixtures/README.md).</summary>
public static class Fixtures
{
    private static readonly Lazy<string> RootDirectory = new(FindRoot);
    private static readonly Lazy<IReadOnlyDictionary<string, FixtureCase>> AllCases = new(ReadCases);

    /// <summary>Absolute path of tests/fixtures.</summary>
    public static string Root => RootDirectory.Value;

    /// <summary>Path of a file under tests/fixtures; fails if it does not exist.</summary>
    public static string File(params string[] parts)
    {
        string path = Path.Combine(new[] { Root }.Concat(parts).ToArray());
        if (!System.IO.File.Exists(path))
            throw new FileNotFoundException($"Fixture file is missing: {path}. Copy ../shared/fixtures into tests/fixtures.", path);
        return path;
    }

    /// <summary>Every case in timm/cases.json by name.</summary>
    public static IReadOnlyDictionary<string, FixtureCase> Cases => AllCases.Value;

    /// <summary>The names of the blocks/* cases (single layers and blocks), as xunit MemberData rows.</summary>
    public static IEnumerable<object[]> BlockCases() => CasesUnder("blocks/");

    /// <summary>The blocks/* cases of single layers (timm.layers: SE, Selective Kernel, Split-Attention).</summary>
    public static IEnumerable<object[]> LayerCases() => BlockCases().Where(row => IsLayer((string)row[0]));

    /// <summary>The blocks/* cases of residual blocks (the rest).</summary>
    public static IEnumerable<object[]> ResidualBlockCases() => BlockCases().Where(row => !IsLayer((string)row[0]));

    private static bool IsLayer(string name) => Case(name).Reference.StartsWith("timm.layers.", StringComparison.Ordinal);

    /// <summary>The names of the models/* cases (tiny whole backbones), as xunit MemberData rows.</summary>
    public static IEnumerable<object[]> ModelCases() => CasesUnder("models/");

    private static IEnumerable<object[]> CasesUnder(string folder) =>
        Cases.Values.Where(c => c.WeightsFile.StartsWith(folder, StringComparison.Ordinal)).Select(c => new object[] { c.Name });

    /// <summary>One case by name.</summary>
    public static FixtureCase Case(string name) =>
        Cases.TryGetValue(name, out var c) ? c : throw new KeyNotFoundException($"No fixture case '{name}' in timm/cases.json.");

    /// <summary>Tolerances recorded with the fixtures.</summary>
    public static (double Atol, double Rtol) Tolerance
    {
        get
        {
            using var doc = JsonDocument.Parse(System.IO.File.ReadAllText(File("timm", "cases.json")));
            var t = doc.RootElement.GetProperty("tolerance");
            return (t.GetProperty("atol").GetDouble(), t.GetProperty("rtol").GetDouble());
        }
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "tests", "fixtures");
            if (System.IO.File.Exists(Path.Combine(candidate, "timm", "cases.json")))
                return candidate;
        }
        throw new DirectoryNotFoundException(
            $"tests/fixtures/timm/cases.json was not found above {AppContext.BaseDirectory}; the fixtures must be in the repository.");
    }

    private static IReadOnlyDictionary<string, FixtureCase> ReadCases()
    {
        using var doc = JsonDocument.Parse(System.IO.File.ReadAllText(File("timm", "cases.json")));
        return doc.RootElement.GetProperty("cases").EnumerateArray()
            .Select(e => new FixtureCase(e.Clone()))
            .ToDictionary(c => c.Name);
    }
}

/// <summary>One entry of timm/cases.json.</summary>
public sealed class FixtureCase
{
    private readonly JsonElement element;

    public FixtureCase(JsonElement element) => this.element = element;

    public string Name => element.GetProperty("name").GetString()!;
    public string Reference => element.GetProperty("reference").GetString()!;
    public JsonElement Args => element.GetProperty("args");
    public long[] InputShape => element.GetProperty("input_shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
    public long[] OutputShape => element.GetProperty("output_shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
    public long Params => element.GetProperty("params").GetInt64();
    public string WeightsFile => element.GetProperty("weights").GetString()!;
    public string IoFile => element.GetProperty("io").GetString()!;

    /// <summary>Key to shape, in timm's order.</summary>
    public IReadOnlyList<(string Key, long[] Shape)> StateDict =>
        element.GetProperty("state_dict").EnumerateObject()
            .Select(p => (p.Name, p.Value.EnumerateArray().Select(e => e.GetInt64()).ToArray())).ToList();

    public int Int(string name) => Args.GetProperty(name).GetInt32();
    public int Int(string name, int fallback) => Args.TryGetProperty(name, out var v) ? v.GetInt32() : fallback;
    public double Double(string name, double fallback) => Args.TryGetProperty(name, out var v) ? v.GetDouble() : fallback;
    public bool Bool(string name, bool fallback) => Args.TryGetProperty(name, out var v) ? v.GetBoolean() : fallback;
    public string? String(string name) => Args.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
    public int[] Ints(string name) => Args.GetProperty(name).EnumerateArray().Select(e => e.GetInt32()).ToArray();
    public bool Has(string name) => Args.TryGetProperty(name, out _);

    public override string ToString() => Name;
}
