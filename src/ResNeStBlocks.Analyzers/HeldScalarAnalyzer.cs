using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ResNeStBlocks.Analyzers;

/// <summary>
/// Reports every TorchSharp <c>Scalar</c> that is created and handed on in one expression, without being held:
/// an implicit or explicit conversion (<c>t.mul_(2.0)</c>, <c>clamp_(0, 1)</c>, <c>(Scalar)x</c>) or a
/// <c>ToScalar()</c> call used directly as an argument or operand (RNB0001); and every call of a TorchSharp member
/// that creates such a temporary inside itself (<c>a + b</c>, <c>t * 0.5</c>, <c>x.add_(y)</c>, listed in
/// <see cref="TemporaryScalarMembers"/>), where an overload taking a held Scalar exists (RNB0002).
/// </summary>
/// <remarks>
/// TorchSharp 0.107's <c>Scalar</c> owns a native object that its finalizer frees, and tensor methods pass on only its
/// handle, so nothing keeps a temporary alive during the native call: under GC pressure the finalizer can free it
/// mid-call ("Unknown scalar type"). A Scalar counts as held when it is stored first: in a field or property (constants),
/// a local (<c>using var</c> for per-call values), or returned to a caller who then holds it.
/// </remarks>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class HeldScalarAnalyzer : DiagnosticAnalyzer
{
    /// <summary>The diagnostic's identifier.</summary>
    public const string DiagnosticId = "RNB0001";

    private static readonly DiagnosticDescriptor Rule = new(
        DiagnosticId,
        "A temporary TorchSharp Scalar is passed to a native call",
        "'{0}' becomes a temporary Scalar that TorchSharp 0.107 may finalize during the call; hold an explicit Scalar across it " +
        "(a static readonly field for a constant, 'using var' for a per-call value)",
        "Reliability",
        DiagnosticSeverity.Error,
        isEnabledByDefault: true);

    /// <summary>The identifier of the diagnostic for a TorchSharp member that creates a temporary Scalar inside itself.</summary>
    public const string InsideDiagnosticId = "RNB0002";

    private static readonly DiagnosticDescriptor InsideRule = new(
        InsideDiagnosticId,
        "A TorchSharp member creates a temporary Scalar inside the call",
        "'{0}' ({1}) creates a temporary Scalar inside TorchSharp 0.107 that may be finalized during its native call; " +
        "call the overload that takes a held Scalar instead (for example a.add(b, alpha: one), t.mul(half) with fields one and half)",
        "Reliability",
        DiagnosticSeverity.Error,
        isEnabledByDefault: true);

    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule, InsideRule);

    /// <inheritdoc />
    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(start =>
        {
            var scalar = start.Compilation.GetTypeByMetadataName("TorchSharp.Scalar");
            if (scalar is null)
                return;
            start.RegisterOperationAction(c => AnalyzeConversion(c, scalar), OperationKind.Conversion);
            start.RegisterOperationAction(c => AnalyzeInvocation(c, scalar), OperationKind.Invocation);
            start.RegisterOperationAction(AnalyzeOperator, OperationKind.BinaryOperator, OperationKind.UnaryOperator);
        });
    }

    private static void AnalyzeConversion(OperationAnalysisContext context, INamedTypeSymbol scalar)
    {
        var conversion = (IConversionOperation)context.Operation;
        ReportInside(context, conversion.OperatorMethod);
        if (!conversion.Conversion.IsUserDefined || !SymbolEqualityComparer.Default.Equals(conversion.Type, scalar) || IsHeld(conversion))
            return;
        context.ReportDiagnostic(Diagnostic.Create(Rule, conversion.Syntax.GetLocation(), conversion.Operand.Syntax.ToString()));
    }

    private static void AnalyzeInvocation(OperationAnalysisContext context, INamedTypeSymbol scalar)
    {
        var invocation = (IInvocationOperation)context.Operation;
        ReportInside(context, invocation.TargetMethod);
        // module.call(x) reaches the module's forward through a virtual call: name BatchNorm's, which creates a temporary.
        if (invocation.TargetMethod.Name is "call" or "forward" && DerivesFrom(invocation.Instance?.Type, "TorchSharp.Modules.BatchNorm"))
            Report(context, BatchNormForward);
        if (!SymbolEqualityComparer.Default.Equals(invocation.Type, scalar) || IsHeld(invocation))
            return;
        context.ReportDiagnostic(Diagnostic.Create(Rule, invocation.Syntax.GetLocation(), invocation.Syntax.ToString()));
    }

    private static void AnalyzeOperator(OperationAnalysisContext context) =>
        ReportInside(context, context.Operation switch
        {
            IBinaryOperation binary => binary.OperatorMethod,
            IUnaryOperation unary => unary.OperatorMethod,
            _ => null,
        });

    private const string BatchNormForward = "TorchSharp.Modules.BatchNorm.forward(Tensor)";

    private static void ReportInside(OperationAnalysisContext context, IMethodSymbol? method)
    {
        if (method is null)
            return;
        string key = Key(method);
        if (TemporaryScalarMembers.Keys.Contains(key))
            Report(context, key);
    }

    private static void Report(OperationAnalysisContext context, string key) =>
        context.ReportDiagnostic(Diagnostic.Create(InsideRule, context.Operation.Syntax.GetLocation(), context.Operation.Syntax.ToString(), key));

    private static bool DerivesFrom(ITypeSymbol? type, string baseName)
    {
        for (var current = type; current is not null; current = current.BaseType)
        {
            if (current is INamedTypeSymbol named && ReflectionName(named.OriginalDefinition) == baseName)
                return true;
        }
        return false;
    }

    /// <summary>A method as <see cref="TemporaryScalarMembers"/> lists it: <c>Namespace.Outer+Inner.name(ParameterType,...)</c>.</summary>
    /// <param name="method">The method called (an extension method in either form).</param>
    /// <returns>The key.</returns>
    public static string Key(IMethodSymbol method)
    {
        method = (method.ReducedFrom ?? method).OriginalDefinition;
        var parameters = new string[method.Parameters.Length];
        for (int i = 0; i < parameters.Length; i++)
            parameters[i] = TypeName(method.Parameters[i].Type);
        return ReflectionName(method.ContainingType) + "." + method.MetadataName + "(" + string.Join(",", parameters) + ")";
    }

    private static string ReflectionName(INamedTypeSymbol type) =>
        type.ContainingType is { } outer
            ? ReflectionName(outer) + "+" + type.MetadataName
            : (type.ContainingNamespace is { IsGlobalNamespace: false } ns ? ns.ToDisplayString() + "." : "") + type.MetadataName;

    private static string TypeName(ITypeSymbol type) => type switch
    {
        IArrayTypeSymbol array => TypeName(array.ElementType) + "[]",
        IPointerTypeSymbol pointer => TypeName(pointer.PointedAtType) + "*",
        _ => type.MetadataName,
    };

    /// <summary>Whether the new Scalar is stored (or returned) before anything uses it.</summary>
    private static bool IsHeld(IOperation operation)
    {
        var value = operation;
        var parent = operation.Parent;
        // A choice between two new Scalars is held when the choice is.
        while (parent is IConditionalOperation or ICoalesceOperation or IParenthesizedOperation
            || (parent is IConversionOperation { Conversion.IsUserDefined: false }))
        {
            value = parent;
            parent = parent.Parent;
        }
        return parent switch
        {
            IVariableInitializerOperation => true,
            IFieldInitializerOperation => true,
            IPropertyInitializerOperation => true,
            IReturnOperation => true,
            ISimpleAssignmentOperation assignment => ReferenceEquals(assignment.Value, value),
            _ => false,
        };
    }
}
