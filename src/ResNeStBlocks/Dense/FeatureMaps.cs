using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using static TorchSharp.torch;

namespace ResNeStBlocks.Dense;

/// <summary>
/// Feature maps with names, in order (torchvision's <c>OrderedDict[str, Tensor]</c>): a backbone's stages going into
/// a <see cref="FeaturePyramidNetwork"/>, or the pyramid coming out, highest resolution first.
/// </summary>
/// <remarks>
/// <para>It reads like a dictionary from name to map, in order: <c>pyramid["p6"]</c>, <c>TryGetValue</c>,
/// <c>ContainsKey</c>, <see cref="Keys"/>, <see cref="Values"/>, <c>foreach (var (name, map) in pyramid.Items)</c>, and
/// <see cref="AsDictionary"/> where an <see cref="IReadOnlyDictionary{TKey, TValue}"/> is wanted. It is also a list of
/// the maps (<c>pyramid[0]</c>, <c>foreach (var map in pyramid)</c>, LINQ over the maps), so
/// <c>ResNet.ForwardStages</c>'s result and this are interchangeable where maps are read. (Being both kinds of collection at
/// once would make LINQ's <c>Select</c> ambiguous, so the dictionary is a view.)</para>
/// <para>The set owns its maps: every accessor returns them without copying, and <see cref="Dispose"/> disposes them
/// all. Dispose the set, not the maps one by one; <see cref="Append"/> shares the maps with the longer set, so dispose
/// only one of the two.</para>
/// </remarks>
public sealed class FeatureMaps : IReadOnlyList<Tensor>, IDisposable
{
    private readonly Tensor[] maps;
    private readonly string[] names;

    /// <summary>Pairs each map with its name.</summary>
    /// <param name="names">One distinct name per map.</param>
    /// <param name="maps">The maps.</param>
    /// <exception cref="ArgumentException">The counts differ, or a name is empty or repeated.</exception>
    public FeatureMaps(IReadOnlyList<string> names, IReadOnlyList<Tensor> maps)
    {
        ArgumentNullException.ThrowIfNull(names);
        ArgumentNullException.ThrowIfNull(maps);
        if (names.Count != maps.Count)
            throw new ArgumentException($"Got {names.Count} names for {maps.Count} feature maps; give one name per map.", nameof(names));
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in names)
        {
            if (string.IsNullOrEmpty(name))
                throw new ArgumentException("Feature map names must not be null or empty.", nameof(names));
            if (!seen.Add(name))
                throw new ArgumentException($"Feature map name '{name}' appears twice; names must be distinct.", nameof(names));
        }
        for (int i = 0; i < maps.Count; i++)
            if (maps[i] is null)
                throw new ArgumentNullException(nameof(maps), $"Feature map {i} ('{names[i]}') is null.");
        this.names = names.ToArray();
        this.maps = maps.ToArray();
    }

    /// <summary>Names the maps "0", "1", ... in order, as torchvision's detection backbones name their stages.</summary>
    /// <param name="maps">The maps, such as the result of <c>ResNet.ForwardStages</c>.</param>
    /// <returns>The named maps.</returns>
    public static FeatureMaps Numbered(IReadOnlyList<Tensor> maps)
    {
        ArgumentNullException.ThrowIfNull(maps);
        return new FeatureMaps(NumberedNames(maps.Count), maps);
    }

    /// <summary>"0", "1", ... for <paramref name="count"/> maps.</summary>
    internal static string[] NumberedNames(int count) =>
        Enumerable.Range(0, count).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();

    /// <summary>The names, in map order.</summary>
    public IReadOnlyList<string> Names => names;

    /// <summary>Number of maps.</summary>
    public int Count => maps.Length;

    /// <summary>The map at <paramref name="index"/>.</summary>
    /// <param name="index">Position, 0 for the first (highest-resolution) map.</param>
    public Tensor this[int index] => maps[index];

    /// <summary>The map named <paramref name="name"/>.</summary>
    /// <param name="name">A name from <see cref="Names"/>.</param>
    /// <exception cref="KeyNotFoundException">No map has that name.</exception>
    public Tensor this[string name] =>
        TryGetValue(name, out var map)
            ? map
            : throw new KeyNotFoundException($"No feature map named '{name}'; the names are {string.Join(", ", names)}.");

    /// <summary>The names, in map order (the same as <see cref="Names"/>).</summary>
    public IEnumerable<string> Keys => names;

    /// <summary>The maps, in order.</summary>
    public IEnumerable<Tensor> Values => maps;

    /// <summary>Whether a map is named <paramref name="key"/>.</summary>
    /// <param name="key">A name.</param>
    /// <returns>True when <see cref="Names"/> holds it.</returns>
    public bool ContainsKey(string key) => Array.IndexOf(names, key) >= 0;

    /// <summary>The map named <paramref name="key"/>, if there is one.</summary>
    /// <param name="key">A name.</param>
    /// <param name="value">The map (owned by this set), or null.</param>
    /// <returns>True when a map has that name.</returns>
    public bool TryGetValue(string key, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out Tensor value)
    {
        int index = Array.IndexOf(names, key);
        value = index >= 0 ? maps[index] : null;
        return index >= 0;
    }

    /// <summary>A new set with <paramref name="extra"/> appended (what an <see cref="ExtraFpnBlock"/> returns).</summary>
    /// <param name="extra">Names and maps to add after the existing ones.</param>
    /// <returns>The longer set; the maps are shared, not copied.</returns>
    /// <exception cref="ArgumentException">A new name is empty or already used.</exception>
    public FeatureMaps Append(params (string Name, Tensor Map)[] extra)
    {
        ArgumentNullException.ThrowIfNull(extra);
        return new FeatureMaps(names.Concat(extra.Select(e => e.Name)).ToArray(), maps.Concat(extra.Select(e => e.Map)).ToArray());
    }

    /// <summary>The names with their maps, in order: <c>foreach (var (name, map) in pyramid.Items)</c>.</summary>
    public IEnumerable<KeyValuePair<string, Tensor>> Items => names.Select((name, i) => new KeyValuePair<string, Tensor>(name, maps[i]));

    /// <summary>This set as a read-only dictionary from name to map, in order; the maps stay owned by this set.</summary>
    /// <returns>A view, not a copy.</returns>
    public IReadOnlyDictionary<string, Tensor> AsDictionary() => new DictionaryView(this);

    /// <summary>The maps, in order.</summary>
    /// <returns>An enumerator over the maps.</returns>
    public IEnumerator<Tensor> GetEnumerator() => ((IEnumerable<Tensor>)maps).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Disposes every map.</summary>
    public void Dispose()
    {
        foreach (var map in maps)
            map.Dispose();
    }

    private sealed class DictionaryView : IReadOnlyDictionary<string, Tensor>
    {
        private readonly FeatureMaps maps;

        public DictionaryView(FeatureMaps maps) => this.maps = maps;

        public Tensor this[string key] => maps[key];

        public IEnumerable<string> Keys => maps.Keys;

        public IEnumerable<Tensor> Values => maps.Values;

        public int Count => maps.Count;

        public bool ContainsKey(string key) => maps.ContainsKey(key);

        public bool TryGetValue(string key, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out Tensor value) => maps.TryGetValue(key, out value);

        public IEnumerator<KeyValuePair<string, Tensor>> GetEnumerator() => maps.Items.GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
