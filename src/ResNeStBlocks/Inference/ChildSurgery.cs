using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using TorchSharp;
using TorchSharp.Modules;

namespace ResNeStBlocks.Inference;

/// <summary>
/// Removes or replaces a registered child inside a module tree, by path, keeping every owner consistent: its
/// registration (in the original order, so state-dict keys keep their order) and the field that holds it.
/// </summary>
/// <remarks>
/// TorchSharp names a module's children after the fields that hold them (<c>RegisterComponents()</c> reads the
/// fields), so a child and its field are one thing; a replacement updates both. Containers cannot drop a
/// registered item in place, so a <see cref="Sequential"/> is rebuilt with the same child names and a
/// <see cref="ModuleList{T}"/> with the remaining items, and the rebuilt container replaces the old one in its owner.
/// </remarks>
internal static class ChildSurgery
{
    /// <summary>Removes the children at <paramref name="paths"/> (dotted paths from <paramref name="root"/>).</summary>
    public static void Remove(torch.nn.Module root, IEnumerable<string> paths)
    {
        // Deepest owners first, so that rebuilding a container never invalidates a path still to be handled.
        foreach (var owner in paths.GroupBy(ParentPath).OrderByDescending(g => g.Key.Length))
            RemoveFrom(root, owner.Key, owner.Select(LeafName).ToHashSet(StringComparer.Ordinal));
    }

    private static void RemoveFrom(torch.nn.Module root, string ownerPath, HashSet<string> names)
    {
        var owner = Find(root, ownerPath);
        var remaining = owner.named_children().Where(c => !names.Contains(c.name)).ToList();
        switch (owner)
        {
            case Sequential:
                Replace(root, ownerPath, torch.nn.Sequential(remaining.Select(c => (c.name, (torch.nn.Module<torch.Tensor, torch.Tensor>)c.module)).ToArray()));
                break;
            case var list when IsModuleList(list):
                if (remaining.Count == 0)
                    RemoveFrom(root, ParentPath(ownerPath), new HashSet<string>(StringComparer.Ordinal) { LeafName(ownerPath) });
                else
                    Replace(root, ownerPath, NewModuleList(list.GetType(), remaining.Select(c => c.module)));
                break;
            default:
                foreach (var name in names)
                    SetChild(owner, name, null);
                break;
        }
    }

    /// <summary>Replaces the child at <paramref name="path"/> with <paramref name="replacement"/>.</summary>
    public static void Replace(torch.nn.Module root, string path, torch.nn.Module replacement)
    {
        string ownerPath = ParentPath(path), name = LeafName(path);
        var owner = Find(root, ownerPath);
        switch (owner)
        {
            case Sequential:
                Replace(root, ownerPath, torch.nn.Sequential(owner.named_children()
                    .Select(c => (c.name, (torch.nn.Module<torch.Tensor, torch.Tensor>)(c.name == name ? replacement : c.module))).ToArray()));
                break;
            case var list when IsModuleList(list):
                Replace(root, ownerPath, NewModuleList(list.GetType(), owner.named_children().Select(c => c.name == name ? replacement : c.module)));
                break;
            default:
                SetChild(owner, name, replacement);
                break;
        }
    }

    /// <summary>Sets (or, with null, removes) child <paramref name="name"/> of a module and the fields that held the old one.</summary>
    private static void SetChild(torch.nn.Module owner, string name, torch.nn.Module? replacement)
    {
        var children = owner.named_children().ToList();
        var old = children.Single(c => c.name == name).module;
        foreach (var field in Fields(owner.GetType()).Where(f => ReferenceEquals(f.GetValue(owner), old)))
            field.SetValue(owner, replacement);
        // Re-register from the changed child on, so the registration order (and with it the state-dict order) is kept.
        int index = children.FindIndex(c => c.name == name);
        foreach (var (childName, _) in children.Skip(index))
            owner.register_module(childName, null!);
        foreach (var (childName, child) in children.Skip(index))
        {
            var registered = childName == name ? replacement : child;
            if (registered is not null)
                owner.register_module(childName, registered);
        }
    }

    private static IEnumerable<FieldInfo> Fields(Type type)
    {
        for (var current = type; current is not null && current != typeof(torch.nn.Module); current = current.BaseType)
            foreach (var field in current.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
                if (typeof(torch.nn.Module).IsAssignableFrom(field.FieldType) || field.FieldType.IsAssignableFrom(typeof(torch.nn.Module)))
                    yield return field;
    }

    private static torch.nn.Module Find(torch.nn.Module root, string path)
    {
        var module = root;
        if (path.Length == 0)
            return module;
        foreach (var segment in path.Split('.'))
            module = module.named_children().Single(c => c.name == segment).module;
        return module;
    }

    private static bool IsModuleList(torch.nn.Module module)
    {
        for (var type = module.GetType(); type is not null; type = type.BaseType)
            if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(ModuleList<>))
                return true;
        return false;
    }

    private static torch.nn.Module NewModuleList(Type listType, IEnumerable<torch.nn.Module> items)
    {
        var elementType = listType.GetGenericArguments()[0];
        var array = Array.CreateInstance(elementType, items.Count());
        int i = 0;
        foreach (var item in items)
            array.SetValue(item, i++);
        return (torch.nn.Module)Activator.CreateInstance(listType, new object[] { array })!;
    }

    private static string ParentPath(string path)
    {
        int dot = path.LastIndexOf('.');
        return dot < 0 ? "" : path[..dot];
    }

    private static string LeafName(string path) => path[(path.LastIndexOf('.') + 1)..];
}
