using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;

namespace ResNeStBlocks.Tests.Analyzers;

/// <summary>
/// Finds, in an assembly's IL, the methods that create a TorchSharp <c>Scalar</c> (an <c>op_Implicit</c> to Scalar or a
/// <c>ToScalar</c> call) and never call <c>Dispose</c>, then every method that calls one of them, and returns the public
/// ones as the held-Scalar analyzer spells them.
/// </summary>
internal static class TemporaryScalarScan
{
    private const byte Call = 0x28, CallVirtual = 0x6F, NewObject = 0x73;

    public static SortedSet<string> PublicMembers(Assembly assembly)
    {
        var scalar = assembly.GetType("TorchSharp.Scalar", throwOnError: true)!;
        const BindingFlags All = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        var methods = assembly.GetTypes()
            .SelectMany(t => t.GetMethods(All).Cast<MethodBase>().Concat(t.GetConstructors(All)))
            .ToList();
        var callers = new Dictionary<MethodBase, List<MethodBase>>();
        var creators = new HashSet<MethodBase>();
        foreach (var method in methods)
        {
            bool creates = false, disposes = false;
            foreach (var callee in Callees(method))
            {
                if (callee is MethodInfo info && info.ReturnType == scalar && info.Name is "op_Implicit" or "ToScalar")
                    creates = true;
                if (callee.Name == "Dispose")
                    disposes = true;
                if (callee.Module != method.Module)
                    continue;
                var key = callee is MethodInfo { IsGenericMethod: true } generic ? generic.GetGenericMethodDefinition() : callee;
                if (!callers.TryGetValue(key, out var list))
                    callers[key] = list = new List<MethodBase>();
                list.Add(method);
            }
            if (creates && !disposes && method.DeclaringType != scalar)
                creators.Add(method);
        }
        var pending = new Queue<MethodBase>(creators);
        while (pending.Count > 0)
        {
            if (!callers.TryGetValue(pending.Dequeue(), out var list))
                continue;
            foreach (var caller in list)
            {
                if (creators.Add(caller))
                    pending.Enqueue(caller);
            }
        }
        return new SortedSet<string>(
            creators.Where(m => m.IsPublic && m.DeclaringType is { } type && (type.IsPublic || type.IsNestedPublic)).Select(Key),
            StringComparer.Ordinal);
    }

    private static string Key(MethodBase method) =>
        method.DeclaringType!.FullName!.Split('[')[0] + "." + method.Name + "(" +
        string.Join(",", method.GetParameters().Select(p => p.ParameterType.Name)) + ")";

    /// <summary>The methods <paramref name="method"/> calls or constructs, read from its IL's call instructions.</summary>
    private static IEnumerable<MethodBase> Callees(MethodBase method)
    {
        byte[]? il;
        try
        {
            il = method.GetMethodBody()?.GetILAsByteArray();
        }
        catch (Exception e) when (e is BadImageFormatException or InvalidOperationException)
        {
            yield break;
        }
        if (il is null)
            yield break;
        var typeArguments = method.DeclaringType is { IsGenericType: true } declaring ? declaring.GetGenericArguments() : null;
        var methodArguments = method.IsGenericMethod ? method.GetGenericArguments() : null;
        for (int i = 0; i + 4 < il.Length; i++)
        {
            if (il[i] is not (Call or CallVirtual or NewObject))
                continue;
            MethodBase? callee;
            try
            {
                callee = method.Module.ResolveMethod(BitConverter.ToInt32(il, i + 1), typeArguments, methodArguments);
            }
            catch (ArgumentException)
            {
                continue;   // the byte was an operand, not an opcode
            }
            if (callee is not null)
                yield return callee;
        }
    }
}
