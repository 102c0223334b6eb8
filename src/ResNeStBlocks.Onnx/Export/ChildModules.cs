using System;
using System.Collections.Generic;
using System.Linq;
using ResNeStBlocks.Layers;
using TorchSharp;
using TorchSharp.Modules;

namespace ResNeStBlocks.Onnx.Export;

/// <summary>
/// The named children of one module (their names are timm's state-dict keys, the library's stable contract).
/// An emitter takes the children it turns into nodes; <see cref="EnsureAllTaken"/> then refuses any other
/// child that would change the eval output, so a module with more inside than its emitter knows is never
/// exported as a silently wrong graph.
/// </summary>
internal sealed class ChildModules
{
    private readonly Dictionary<string, torch.nn.Module> children;
    private readonly HashSet<string> taken = new(StringComparer.Ordinal);
    private readonly torch.nn.Module owner;

    public ChildModules(torch.nn.Module owner, string path)
    {
        this.owner = owner;
        Path = path;
        children = owner.named_children().ToDictionary(c => c.name, c => c.module, StringComparer.Ordinal);
    }

    /// <summary>The owner's module path.</summary>
    public string Path { get; }

    /// <summary>The path of the child called <paramref name="name"/>.</summary>
    public string PathOf(string name) => ExportContext.Join(Path, name);

    /// <summary>The child <paramref name="name"/>, which must exist and be a <typeparamref name="T"/>.</summary>
    public T Required<T>(string name) where T : torch.nn.Module =>
        Optional<T>(name) ?? throw new NotSupportedException(
            $"Cannot export {ExportContext.Describe(Path)} ({owner.GetType().Name}): it has no child '{name}' of type {typeof(T).Name}.");

    /// <summary>The child <paramref name="name"/> when present; it must then be a <typeparamref name="T"/>.</summary>
    public T? Optional<T>(string name) where T : torch.nn.Module
    {
        var child = Optional(name);
        if (child is null or T)
            return (T?)child;
        throw OnnxExportErrors.Unsupported(child, PathOf(name));
    }

    /// <summary>The child <paramref name="name"/> of any type when present.</summary>
    public torch.nn.Module? Optional(string name)
    {
        if (!children.TryGetValue(name, out var child))
            return null;
        taken.Add(name);
        return child;
    }

    /// <summary>Throws for any child not taken, except regularisers that are the identity in eval mode.</summary>
    public void EnsureAllTaken()
    {
        foreach (var (name, child) in children)
            if (!taken.Contains(name) && !IsEvalIdentity(child))
                throw OnnxExportErrors.Unsupported(child, PathOf(name));
    }

    /// <summary>Drop path, DropBlock and dropout do nothing in eval mode, so the export leaves them out.</summary>
    public static bool IsEvalIdentity(torch.nn.Module module) =>
        module is DropPath or DropBlock or Dropout or Identity;
}
