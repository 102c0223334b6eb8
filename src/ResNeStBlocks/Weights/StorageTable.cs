using System;
using System.Collections.Generic;

namespace ResNeStBlocks.Weights;

/// <summary>
/// The storages a checkpoint's pickle names through persistent ids, by key. An id is
/// <c>('storage', torch.FloatStorage, key, location, element_count)</c>; the legacy (pre-1.6) format adds a sixth
/// item, a view description, which torch has written as None since 1.0 and which is the only value accepted here.
/// A key named twice must name the same storage class and element count both times.
/// </summary>
internal sealed class StorageTable(bool legacy)
{
    /// <summary>The longest storage key accepted; torch writes decimal numbers.</summary>
    public const int MaxKeyLength = 128;

    private readonly Dictionary<string, StorageReference> byKey = new(StringComparer.Ordinal);

    /// <summary>Every storage named so far, in first-use order.</summary>
    public IReadOnlyCollection<StorageReference> Storages => byKey.Values;

    public bool Contains(string key) => byKey.ContainsKey(key);

    /// <summary>The persistent-load hook of <see cref="PickleMachine"/>.</summary>
    /// <param name="id">The persistent id.</param>
    /// <param name="fail">Builds the exception for a problem, with the pickle's position.</param>
    /// <returns>The storage the id names.</returns>
    public StorageReference Resolve(PickleTuple id, Func<string, Exception> fail)
    {
        var items = id.Items;
        int expected = legacy ? 6 : 5;
        if (items.Length != expected || items[0] is not "storage" || items[1] is not PickleGlobal { Module: "torch" } type
            || items[2] is not string key || items[3] is not string location || items[4] is not long elements
            || (legacy && items[5] is not null))
            throw fail($"a persistent id must be ('storage', torch.<Type>Storage, key, location, element count{(legacy ? ", None" : "")}), "
                + $"got ({string.Join(", ", Array.ConvertAll(items, PickleMachine.Describe))}).");
        if (!TorchStorageTypes.Table.TryParse(type.Name, out var scalarType, out int elementSize))
            throw fail($"'{type}' is not a storage class.");
        if (key.Length is 0 or > MaxKeyLength || !key.AsSpan().ContainsOnlyKeyCharacters())
            throw fail($"storage key '{(key.Length > MaxKeyLength ? key[..MaxKeyLength] + "..." : key)}' is not 1 to {MaxKeyLength} letters, digits, '.', '_' or '-'.");
        if (location.Length is 0 or > MaxKeyLength)
            throw fail($"storage '{key}' has a location of {location.Length} characters; torch writes a device such as 'cpu' or 'cuda:0'.");
        if (elements < 0 || elements > long.MaxValue / elementSize)
            throw fail($"storage '{key}' declares {elements} elements of {elementSize} byte(s), which no file can hold.");
        if (byKey.TryGetValue(key, out var known))
        {
            if (known.Type != scalarType || known.Elements != elements)
                throw fail($"storage '{key}' is named as {known.Elements} x {known.TypeName} and again as {elements} x {type.Name}.");
            return known;
        }
        var storage = new StorageReference(key, type.Name, scalarType, elementSize, location, elements);
        byKey.Add(key, storage);
        return storage;
    }
}

internal static class StorageKeyCharacters
{
    /// <summary>Letters, digits, '.', '_' and '-' only: a key becomes part of a zip entry name.</summary>
    public static bool ContainsOnlyKeyCharacters(this ReadOnlySpan<char> key)
    {
        foreach (char c in key)
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
                return false;
        return key is not ("." or "..");
    }
}
