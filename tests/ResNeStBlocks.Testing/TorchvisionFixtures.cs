using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ResNeStBlocks.Testing;

/// <summary>The torchvision reference fixtures (tests/fixtures/torchvision, written by its generate.py).</summary>
public static class TorchvisionFixtures
{
    private static readonly Lazy<JsonElement> Document = new(() =>
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Fixtures.File("torchvision", "cases.json")));
        return doc.RootElement.Clone();
    });

    /// <summary>Every case, in the generator's order.</summary>
    public static IReadOnlyList<TorchvisionCase> Cases =>
        Document.Value.GetProperty("cases").EnumerateArray().Select(e => new TorchvisionCase(e)).ToList();

    /// <summary>One case by name.</summary>
    public static TorchvisionCase Case(string name) =>
        Cases.FirstOrDefault(c => c.Name == name) ?? throw new KeyNotFoundException($"No case '{name}' in torchvision/cases.json.");

    /// <summary>The names of the cases in one folder (necks, heads, models), as xunit MemberData rows.</summary>
    public static IEnumerable<object[]> In(string folder) =>
        Cases.Where(c => c.Weights.StartsWith(folder + "/", StringComparison.Ordinal)).Select(c => new object[] { c.Name });

    /// <summary>The tolerance recorded with the fixtures.</summary>
    public static (double Atol, double Rtol) Tolerance
    {
        get
        {
            var t = Document.Value.GetProperty("tolerance");
            return (t.GetProperty("atol").GetDouble(), t.GetProperty("rtol").GetDouble());
        }
    }

    /// <summary>Train mode with every Dropout in eval mode: the generator's train-mode outputs use BatchNorm batch statistics only.</summary>
    public static void TrainWithoutDropout(nn.Module module)
    {
        module.train();
        foreach (var dropout in module.modules().OfType<Dropout>())
            dropout.eval();
    }
}

/// <summary>One entry of torchvision/cases.json.</summary>
public sealed class TorchvisionCase
{
    private readonly JsonElement element;

    public TorchvisionCase(JsonElement element) => this.element = element;

    public string Name => element.GetProperty("name").GetString()!;
    public string Reference => element.GetProperty("reference").GetString()!;
    public string Weights => element.GetProperty("weights").GetString()!;
    public string Io => element.GetProperty("io").GetString()!;
    public long Params => element.GetProperty("params").GetInt64();
    public JsonElement Args => element.GetProperty("args");

    /// <summary>Output names recorded in the io file, in order.</summary>
    public IReadOnlyList<string> Outputs => element.GetProperty("outputs").EnumerateObject().Select(p => p.Name).ToList();

    /// <summary>"key [shape]" for every state-dict entry, in torchvision's order.</summary>
    public IReadOnlyList<string> StateDict =>
        element.GetProperty("state_dict").EnumerateObject().Select(p => $"{p.Name} {TensorAssert.Shape(p.Value.EnumerateArray().Select(e => e.GetInt64()).ToArray())}").ToList();

    public int Int(string name) => Args.GetProperty(name).GetInt32();
    public bool Bool(string name) => Args.GetProperty(name).GetBoolean();
    public string String(string name) => Args.GetProperty(name).GetString()!;
    public int[] Ints(string name) => Args.GetProperty(name).EnumerateArray().Select(e => e.GetInt32()).ToArray();
    public bool[] Bools(string name) => Args.GetProperty(name).EnumerateArray().Select(e => e.GetBoolean()).ToArray();
    public string[] Strings(string name) => Args.GetProperty(name).EnumerateArray().Select(e => e.GetString()!).ToArray();

    /// <summary>The inputs and outputs.</summary>
    public Dictionary<string, Tensor> LoadIo() => ResNeStBlocks.Weights.SafeTensors.Load(Fixtures.File("torchvision", Io));

    /// <summary>Path of the state dict.</summary>
    public string WeightsPath => Fixtures.File("torchvision", Weights);

    public override string ToString() => Name;
}
