using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using FluentAssertions;

namespace ResNeStBlocks.Testing;

/// <summary>
/// The public API of an assembly as sorted text lines (every public type and every member a user can call or
/// override), compared with a listing committed beside the tests: a change to the API is a change to that file, made
/// on purpose and reviewed. Set <c>RESNESTBLOCKS_UPDATE_PUBLIC_API=1</c> and run the test to rewrite the listing.
/// </summary>
public static class PublicApi
{
    /// <summary>The environment variable that makes <see cref="ShouldMatch"/> rewrite the listing instead of comparing.</summary>
    public const string UpdateVariable = "RESNESTBLOCKS_UPDATE_PUBLIC_API";

    /// <summary>Compares <paramref name="assembly"/>'s API with <c>tests/{project}/PublicApi/{assembly}.txt</c>.</summary>
    public static void ShouldMatch(Assembly assembly, string testProject)
    {
        string path = Path.Combine(Directory.GetParent(Fixtures.Root)!.FullName, testProject, "PublicApi", assembly.GetName().Name + ".txt");
        var actual = Describe(assembly);
        if (Environment.GetEnvironmentVariable(UpdateVariable) == "1")
        {
            File.WriteAllLines(path, actual);
            return;
        }
        File.Exists(path).Should().BeTrue($"the API listing {path} is committed (create it with {UpdateVariable}=1)");
        var expected = File.ReadAllLines(path);
        var added = actual.Except(expected).ToList();
        var removed = expected.Except(actual).ToList();
        (added.Count + removed.Count).Should().Be(0,
            $"the public API of {assembly.GetName().Name} must equal {path}; if the change is intended, run the test with {UpdateVariable}=1 " +
            $"and commit the listing.\nAdded:\n  {string.Join("\n  ", added)}\nRemoved:\n  {string.Join("\n  ", removed)}");
    }

    /// <summary>One line per public type and per public or protected member, sorted.</summary>
    public static IReadOnlyList<string> Describe(Assembly assembly)
    {
        var lines = new List<string>();
        foreach (var type in assembly.GetExportedTypes())
        {
            string owner = Name(type);
            lines.Add($"{owner} : {Kind(type)}{Bases(type)}");
            const BindingFlags flags = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
            foreach (var member in type.GetMembers(flags).Where(Visible))
            {
                string? line = member switch
                {
                    ConstructorInfo c => $"{owner}({Parameters(c)})",
                    MethodInfo m when !m.IsSpecialName || m.Name.StartsWith("op_", StringComparison.Ordinal) =>
                        $"{owner}.{Modifiers(m)}{m.Name}{Generic(m)}({Parameters(m)}) -> {Name(m.ReturnType)}",
                    PropertyInfo p => $"{owner}.{p.Name}{Indexer(p)} {{ {Accessors(p)}}} -> {Name(p.PropertyType)}",
                    FieldInfo f when type.IsEnum => f.IsStatic ? $"{owner}.{f.Name} = {Convert.ToInt64(f.GetRawConstantValue())}" : null,
                    FieldInfo f => $"{owner}.{(f.IsLiteral ? "const " : f.IsStatic ? "static " : "")}{(f.IsInitOnly ? "readonly " : "")}{f.Name} -> {Name(f.FieldType)}",
                    EventInfo e => $"{owner}.event {e.Name} -> {Name(e.EventHandlerType!)}",
                    _ => null,
                };
                if (line is not null)
                    lines.Add(line);
            }
        }
        return lines.Distinct().OrderBy(l => l, StringComparer.Ordinal).ToList();
    }

    private static bool Visible(MemberInfo member) => member switch
    {
        ConstructorInfo c => c.IsPublic || c.IsFamily || c.IsFamilyOrAssembly,
        MethodInfo m => m.IsPublic || m.IsFamily || m.IsFamilyOrAssembly,
        PropertyInfo p => p.GetAccessors(nonPublic: true).Any(a => a.IsPublic || a.IsFamily || a.IsFamilyOrAssembly),
        FieldInfo f => f.IsPublic || f.IsFamily || f.IsFamilyOrAssembly,
        EventInfo e => e.AddMethod is { } add && (add.IsPublic || add.IsFamily),
        _ => false,
    };

    private static string Kind(Type type) =>
        type.IsEnum ? "enum" : type.IsInterface ? "interface" : type.IsValueType ? "struct"
        : typeof(Delegate).IsAssignableFrom(type) ? "delegate"
        : (type.IsAbstract && type.IsSealed ? "static class" : type.IsAbstract ? "abstract class" : type.IsSealed ? "sealed class" : "class");

    private static string Bases(Type type)
    {
        var bases = new List<string>();
        if (type.BaseType is { } baseType && baseType != typeof(object) && baseType != typeof(ValueType) && baseType != typeof(Enum)
            && baseType != typeof(MulticastDelegate))
            bases.Add(Name(baseType));
        bases.AddRange(type.GetInterfaces().Where(i => i.IsPublic || i.IsNestedPublic).Select(Name).OrderBy(n => n, StringComparer.Ordinal));
        return bases.Count == 0 ? "" : " " + string.Join(", ", bases);
    }

    private static string Modifiers(MethodInfo method) =>
        (method.IsStatic ? "static " : "") + (method.IsAbstract ? "abstract " : method.IsVirtual && !method.IsFinal && method.GetBaseDefinition() == method ? "virtual " : "")
        + (method.IsFamily || method.IsFamilyOrAssembly ? "protected " : "");

    private static string Generic(MethodInfo method) =>
        method.IsGenericMethodDefinition ? "<" + string.Join(", ", method.GetGenericArguments().Select(a => a.Name)) + ">" : "";

    private static string Indexer(PropertyInfo property)
    {
        var index = property.GetIndexParameters();
        return index.Length == 0 ? "" : "[" + string.Join(", ", index.Select(p => Name(p.ParameterType))) + "]";
    }

    private static string Accessors(PropertyInfo property)
    {
        string get = property.GetMethod is { } g && (g.IsPublic || g.IsFamily) ? "get; " : "";
        var set = property.SetMethod;
        bool init = set?.ReturnParameter.GetRequiredCustomModifiers().Any(m => m.FullName == "System.Runtime.CompilerServices.IsExternalInit") == true;
        string setter = set is not null && (set.IsPublic || set.IsFamily) ? (init ? "init; " : "set; ") : "";
        return get + setter;
    }

    private static string Parameters(MethodBase method) => string.Join(", ", method.GetParameters().Select(p =>
        (p.IsOut ? "out " : p.ParameterType.IsByRef ? "ref " : "") + Name(p.ParameterType) + " " + p.Name
        + (p.HasDefaultValue ? " = " + (p.DefaultValue is null ? "null" : Convert.ToString(p.DefaultValue, System.Globalization.CultureInfo.InvariantCulture)) : "")));

    /// <summary>A type as C# spells it, with namespaces (generic arguments, arrays, nested types).</summary>
    private static string Name(Type type)
    {
        if (type.IsByRef)
            return Name(type.GetElementType()!);
        if (type.IsArray)
            return Name(type.GetElementType()!) + "[" + new string(',', type.GetArrayRank() - 1) + "]";
        if (type.IsGenericParameter)
            return type.Name;
        if (Nullable.GetUnderlyingType(type) is { } underlying)
            return Name(underlying) + "?";
        string name = type.IsNested ? Name(type.DeclaringType!) + "." + type.Name : (type.Namespace is null ? "" : type.Namespace + ".") + type.Name;
        if (!type.IsGenericType)
            return name;
        int tick = name.IndexOf('`', StringComparison.Ordinal);
        var arguments = type.GetGenericArguments();
        if (type.IsNested)
            arguments = arguments.Skip(type.DeclaringType!.GetGenericArguments().Length).ToArray();
        return (tick < 0 ? name : name[..tick]) + (arguments.Length == 0 ? "" : "<" + string.Join(", ", arguments.Select(Name)) + ">");
    }
}
