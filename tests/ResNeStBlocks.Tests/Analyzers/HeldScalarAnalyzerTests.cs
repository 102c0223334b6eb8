using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using FluentAssertions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using ResNeStBlocks.Analyzers;
using ResNeStBlocks.Testing;
using TorchSharp;
using Xunit;

namespace ResNeStBlocks.Tests.Analyzers;

/// <summary>
/// The held-Scalar analyzer (src/ResNeStBlocks.Analyzers), which fails the build of src/ and samples/ on a temporary
/// TorchSharp Scalar: it finds injected violations, accepts held scalars, finds none in the library's sources, and its
/// list of TorchSharp members that create temporaries inside equals what TorchSharp.dll's IL says.
/// </summary>
public sealed class HeldScalarAnalyzerTests
{
    private const string Snippet = """
        using TorchSharp;
        using TorchSharp.Modules;
        using static TorchSharp.torch;

        internal static class Sample
        {
            private static readonly Scalar Two = 2.0;

            public static Tensor Step(Tensor x, Tensor y, double rate, BatchNorm2d norm)
            {
                x.mul_(2.0);
                x.clamp_(0, 1);
                var sum = x + y;
                x.add_(y);
                var scaled = x * 0.5;
                x.add_(y, alpha: rate.ToScalar());
                using var held = rate.ToScalar();
                x.add_(y, held);
                x.mul_(Two);
                norm.call(x);
                return sum.add(scaled, Two);
            }
        }
        """;

    [Fact]
    public async Task Every_temporary_scalar_in_an_injected_snippet_is_reported_and_held_ones_are_not()
    {
        var diagnostics = await Analyze(new[] { CSharpSyntaxTree.ParseText(Snippet, path: "Sample.cs") }, "Sample");

        diagnostics.Select(d => $"{d.Id} line {d.Location.GetLineSpan().StartLinePosition.Line + 1}: {d.GetMessage()}").Should().Equal(
            "RNB0001 line 11: '2.0' becomes a temporary Scalar that TorchSharp 0.107 may finalize during the call; hold an explicit Scalar across it (a static readonly field for a constant, 'using var' for a per-call value)",
            "RNB0001 line 12: '0' becomes a temporary Scalar that TorchSharp 0.107 may finalize during the call; hold an explicit Scalar across it (a static readonly field for a constant, 'using var' for a per-call value)",
            "RNB0001 line 12: '1' becomes a temporary Scalar that TorchSharp 0.107 may finalize during the call; hold an explicit Scalar across it (a static readonly field for a constant, 'using var' for a per-call value)",
            "RNB0002 line 13: 'x + y' (TorchSharp.torch+Tensor.op_Addition(Tensor,Tensor)) creates a temporary Scalar inside TorchSharp 0.107 that may be finalized during its native call; call the overload that takes a held Scalar instead (for example a.add(b, alpha: one), t.mul(half) with fields one and half)",
            "RNB0002 line 14: 'x.add_(y)' (TorchSharp.torch+Tensor.add_(Tensor)) creates a temporary Scalar inside TorchSharp 0.107 that may be finalized during its native call; call the overload that takes a held Scalar instead (for example a.add(b, alpha: one), t.mul(half) with fields one and half)",
            "RNB0002 line 15: 'x * 0.5' (TorchSharp.torch+Tensor.op_Multiply(Tensor,Double)) creates a temporary Scalar inside TorchSharp 0.107 that may be finalized during its native call; call the overload that takes a held Scalar instead (for example a.add(b, alpha: one), t.mul(half) with fields one and half)",
            "RNB0001 line 16: 'rate.ToScalar()' becomes a temporary Scalar that TorchSharp 0.107 may finalize during the call; hold an explicit Scalar across it (a static readonly field for a constant, 'using var' for a per-call value)",
            "RNB0002 line 20: 'norm.call(x)' (TorchSharp.Modules.BatchNorm.forward(Tensor)) creates a temporary Scalar inside TorchSharp 0.107 that may be finalized during its native call; call the overload that takes a held Scalar instead (for example a.add(b, alpha: one), t.mul(half) with fields one and half)");
    }

    [Fact]
    public async Task The_library_sources_hold_every_scalar()
    {
        string source = Path.Combine(Directory.GetParent(Fixtures.Root)!.Parent!.FullName, "src", "ResNeStBlocks");
        var trees = Directory.EnumerateFiles(source, "*.cs", SearchOption.AllDirectories)
            .Where(path => !path.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !path.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(path => CSharpSyntaxTree.ParseText(File.ReadAllText(path), CSharpParseOptions.Default.WithLanguageVersion(LanguageVersion.Latest), path))
            .ToList();
        trees.Should().HaveCountGreaterThan(50);

        var diagnostics = await Analyze(trees, "ResNeStBlocks");

        diagnostics.Select(d => d.ToString()).Should().BeEmpty();
    }

    [Fact]
    public void The_list_of_TorchSharp_members_that_create_temporaries_is_what_TorchSharps_IL_says()
    {
        var assembly = typeof(torch).Assembly;
        assembly.GetName().Version!.ToString(3).Should().Be(TemporaryScalarMembers.TorchSharpVersion);

        var scanned = TemporaryScalarScan.PublicMembers(assembly);

        scanned.Should().Contain("TorchSharp.torch+Tensor.add_(Tensor)").And.Contain("TorchSharp.torch+Tensor.op_Multiply(Tensor,Double)");
        scanned.Should().BeEquivalentTo(TemporaryScalarMembers.Keys);
    }

    /// <summary>Compiles <paramref name="trees"/> against TorchSharp and the runtime, requires no compiler error, and returns the analyzer's findings in source order.</summary>
    private static async Task<IReadOnlyList<Diagnostic>> Analyze(IEnumerable<SyntaxTree> trees, string assemblyName)
    {
        var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Append(typeof(torch).Assembly.Location)
            .Select(path => MetadataReference.CreateFromFile(path));
        var compilation = CSharpCompilation.Create(assemblyName, trees, references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: true, nullableContextOptions: NullableContextOptions.Enable));
        // CS8795: [LibraryImport] methods get their bodies from a source generator that this compilation does not run.
        compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error && d.Id != "CS8795")
            .Select(d => d.ToString()).Should().BeEmpty();
        var diagnostics = await compilation.WithAnalyzers(ImmutableArray.Create<DiagnosticAnalyzer>(new HeldScalarAnalyzer())).GetAnalyzerDiagnosticsAsync();
        return diagnostics.OrderBy(d => d.Location.SourceSpan.Start).ToList();
    }
}
