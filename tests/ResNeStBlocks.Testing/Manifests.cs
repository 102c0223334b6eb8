using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;

namespace ResNeStBlocks.Testing;

/// <summary>A full-size timm model manifest (timm/manifests/NAME.json).</summary>
public sealed record Manifest(string Name, long Params, IReadOnlyList<(string Key, long[] Shape)> StateDict, JsonElement PretrainedConfig)
{
    public static IEnumerable<string> Names() =>
        Directory.GetFiles(Path.Combine(Fixtures.Root, "timm", "manifests"), "*.json")
            .Select(Path.GetFileNameWithoutExtension).OrderBy(n => n)!;

    public static Manifest Load(string name)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Fixtures.File("timm", "manifests", name + ".json")));
        var root = doc.RootElement;
        var keys = root.GetProperty("state_dict").EnumerateObject()
            .Select(p => (p.Name, p.Value.EnumerateArray().Select(e => e.GetInt64()).ToArray())).ToList();
        return new Manifest(root.GetProperty("name").GetString()!, root.GetProperty("params").GetInt64(), keys,
            root.GetProperty("pretrained_cfg").Clone());
    }
}
