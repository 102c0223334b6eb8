using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using static TorchSharp.torch;

namespace ResNeStBlocks.Testing;

/// <summary>
/// The detection reference fixtures (tests/fixtures/detection, written by its generate.py from torchvision 0.14):
/// cases.json lists the cases; the tensors of case NAME are "NAME/TENSOR" in the safetensors file of its group.
/// </summary>
public static class DetectionFixtures
{
    private static readonly Lazy<JsonElement> Document = new(() =>
    {
        using var doc = JsonDocument.Parse(System.IO.File.ReadAllText(Fixtures.File("detection", "cases.json")));
        return doc.RootElement.Clone();
    });

    /// <summary>Every case, in the generator's order.</summary>
    public static IReadOnlyList<DetectionCase> Cases =>
        Document.Value.GetProperty("cases").EnumerateArray().Select(e => new DetectionCase(e)).ToList();

    /// <summary>One case by name.</summary>
    public static DetectionCase Case(string name) =>
        Cases.FirstOrDefault(c => c.Name == name) ?? throw new KeyNotFoundException($"No case '{name}' in detection/cases.json.");

    /// <summary>The names of the cases of one operation (the generator's "op"), as xunit MemberData rows.</summary>
    public static IEnumerable<object[]> Of(string op)
    {
        var rows = Cases.Where(c => c.Op == op).Select(c => new object[] { c.Name }).ToList();
        if (rows.Count == 0)
            throw new KeyNotFoundException($"detection/cases.json has no case of op '{op}'.");
        return rows;
    }
}

/// <summary>One entry of detection/cases.json.</summary>
public sealed class DetectionCase
{
    private readonly JsonElement element;

    public DetectionCase(JsonElement element) => this.element = element;

    public string Name => element.GetProperty("name").GetString()!;
    public string Group => element.GetProperty("group").GetString()!;
    public string Op => element.GetProperty("op").GetString()!;
    public JsonElement Args => element.GetProperty("args");

    public double Double(string name) => Args.GetProperty(name).GetDouble();
    public int Int(string name) => Args.GetProperty(name).GetInt32();
    public bool Bool(string name) => Args.GetProperty(name).GetBoolean();
    public string String(string name) => Args.GetProperty(name).GetString()!;
    public int[] Ints(string name) => Args.GetProperty(name).EnumerateArray().Select(e => e.GetInt32()).ToArray();
    public string[] Strings(string name) => Args.GetProperty(name).EnumerateArray().Select(e => e.GetString()!).ToArray();
    public double[] Doubles(string name) => Args.GetProperty(name).EnumerateArray().Select(e => e.GetDouble()).ToArray();
    public bool Has(string name) => Args.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null;

    /// <summary>The case's tensors by their short names (the caller disposes them).</summary>
    public Dictionary<string, Tensor> Load()
    {
        var all = ResNeStBlocks.Weights.SafeTensors.Load(Fixtures.File("detection", Group + ".safetensors"));
        var mine = new Dictionary<string, Tensor>();
        string prefix = Name + "/";
        foreach (var (key, value) in all)
        {
            if (key.StartsWith(prefix, StringComparison.Ordinal))
                mine[key[prefix.Length..]] = value;
            else
                value.Dispose();
        }
        var expected = element.GetProperty("tensors").EnumerateObject().Select(p => p.Name).OrderBy(n => n, StringComparer.Ordinal);
        if (!mine.Keys.OrderBy(n => n, StringComparer.Ordinal).SequenceEqual(expected))
            throw new InvalidOperationException($"detection/{Group}.safetensors does not hold the tensors cases.json lists for '{Name}'; regenerate the fixtures.");
        return mine;
    }

    public override string ToString() => Name;
}
