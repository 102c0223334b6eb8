using System;
using System.Collections.Generic;
using System.Linq;
using ResNeStBlocks.Backbones;
using ResNeStBlocks.Dense;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNeStBlocks.Description;

/// <summary>
/// Runs a module's description with TorchSharp operations (the eager evaluator) and checks it against the module's own
/// forward: what the ONNX exporter does before it writes a file, and what a test of a custom module's description does.
/// </summary>
/// <remarks>
/// Eval semantics: BatchNorm with its running statistics, dropout and drop path as the identity. A module in training
/// mode is evaluated with every module's training flag set to false for the duration, and each flag is restored exactly
/// afterwards; parameters and buffers are only read.
/// </remarks>
public static class DescriptionCheck
{
    /// <summary>The tolerance of <see cref="Verify"/>: relative to the output's largest magnitude, absolute below 1.</summary>
    public const double DefaultTolerance = 1e-4;

    /// <summary>The output of <paramref name="module"/>'s description on <paramref name="input"/>, computed with TorchSharp.</summary>
    /// <param name="module">A module with one output and a description (its own or registered).</param>
    /// <param name="input">Its input, with the module's dtype and device.</param>
    /// <returns>A new tensor that the caller disposes.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="module"/> describes several outputs (use <see cref="Verify"/>).</exception>
    /// <exception cref="NotSupportedException">The description is incomplete or something in it has no description.</exception>
    public static Tensor Evaluate(nn.Module module, Tensor input)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(input);
        if (module is IDescribedOutputs and not IDescribedModule)
            throw new ArgumentException($"A {module.GetType().Name} describes several outputs; check it with {nameof(DescriptionCheck)}.{nameof(Verify)}.", nameof(module));
        using var modes = EvalModes.Enter(module);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var graph = new EagerGraph(input.dtype, input.device);
        return graph.Run(module, input, null)[0].Value.clone().MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Checks that <paramref name="module"/>'s description computes what its forward computes on <paramref name="probeInput"/>.
    /// </summary>
    /// <param name="module">A described module whose forward takes one tensor: one that returns a tensor, or one of the
    /// library's modules with several outputs (segmentation models, <see cref="BackboneWithFpn"/>).</param>
    /// <param name="probeInput">An input the module accepts (random values exercise every path).</param>
    /// <param name="tolerance">The largest difference allowed, relative to the output's largest magnitude (absolute below 1).</param>
    /// <returns>The largest difference between description and forward over the outputs.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="tolerance"/> is not positive.</exception>
    /// <exception cref="DescriptionMismatchException">They differ; the message names the first module (innermost, earliest in forward order)
    /// whose description differs from its own forward on the same input, and the difference.</exception>
    /// <exception cref="NotSupportedException">The description is incomplete, something in it has no description, or the
    /// module's forward outputs cannot be compared.</exception>
    public static double Verify(nn.Module module, Tensor probeInput, double tolerance = DefaultTolerance)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(probeInput);
        return VerifyOutputs(module, probeInput, tolerance, null, null);
    }

    /// <summary>
    /// <see cref="Verify(nn.Module, Tensor, double)"/> with the outputs chosen by the caller: <paramref name="describe"/>
    /// states them (null: the module's description) and <paramref name="forward"/> computes them (null: the module's forward).
    /// </summary>
    internal static double VerifyOutputs(nn.Module module, Tensor probeInput, double tolerance,
        Func<ForwardGraph, GraphValue, IReadOnlyList<NamedValue>>? describe, Func<Tensor, IReadOnlyList<(string Name, Tensor Value)>>? forward)
    {
        if (!(tolerance > 0))
            throw new ArgumentOutOfRangeException(nameof(tolerance), tolerance, $"The tolerance must be positive, got {tolerance}.");
        forward ??= ForwardOutputs(module);
        using var modes = EvalModes.Enter(module);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var described = new EagerGraph(probeInput.dtype, probeInput.device).Run(module, probeInput, describe);
        var expected = forward(probeInput.clone());
        double largest = 0;
        foreach (var (name, value) in described)
        {
            var reference = described.Count == 1 && expected.Count == 1 ? expected[0].Value : Find(expected, name, module);
            var difference = Comparison.Of(value, reference);
            if (!difference.Within(tolerance))
                throw Mismatch(module, probeInput, tolerance, describe, name, difference);
            largest = Math.Max(largest, difference.Largest);
        }
        return largest;
    }

    /// <summary>Finds the first module whose own forward differs from its description (a second, diagnosing pass) and says so.</summary>
    private static DescriptionMismatchException Mismatch(nn.Module module, Tensor probeInput, double tolerance,
        Func<ForwardGraph, GraphValue, IReadOnlyList<NamedValue>>? describe, string output, Comparison rootDifference)
    {
        var diagnosis = new EagerGraph.Diagnosis(tolerance);
        new EagerGraph(probeInput.dtype, probeInput.device, diagnosis).Run(module, probeInput, describe);
        var (path, type, difference) = diagnosis.First ?? new EagerGraph.Mismatch("", module.GetType(), rootDifference);
        string which = output.Length == 0 ? "" : $" (output '{output}')";
        string where = path.Length == 0 ? $"the root module{which}" : $"'{path}'";
        return new DescriptionMismatchException(path, type, difference.Largest,
            $"The description of {where} ({type.Name}) does not compute what its forward computes: on the same input {difference.Describe(tolerance)}. " +
            "Make the description (IDescribedModule.Describe or ModuleDescriptions.Register) state exactly what forward computes in eval mode.");
    }

    private static Tensor Find(IReadOnlyList<(string Name, Tensor Value)> outputs, string name, nn.Module module)
    {
        foreach (var (candidate, value) in outputs)
            if (candidate == name)
                return value;
        throw new NotSupportedException(
            $"The description of the root module ({module.GetType().Name}) has an output '{name}' that its forward does not return " +
            $"(the forward returns {string.Join(", ", outputs.Select(o => $"'{o.Name}'"))}).");
    }

    /// <summary>How the forward of <paramref name="module"/> exposes the outputs its description names.</summary>
    private static Func<Tensor, IReadOnlyList<(string Name, Tensor Value)>> ForwardOutputs(nn.Module module) => module switch
    {
        SegmentationModel segmentation => input =>
        {
            var both = segmentation.ForwardWithAux(input);
            return both.Aux is null
                ? new[] { (SegmentationModel.OutName, both.Out) }
                : new[] { (SegmentationModel.OutName, both.Out), (SegmentationModel.AuxName, both.Aux) };
        },
        BackboneWithFpn fpn => input => Named(fpn.call(input)),
        Detection.Models.DetectionBackbone detection => input => Named(detection.call(input)),
        Detection.Models.ResNetFpnBackbone detection => input => Named(detection.call(input)),
        // The extra levels as a pyramid's extension: P6 reads the one map given (as P5 or C5).
        LastLevelP6P7 levels => input => Named(levels.Extend(FeatureMaps.Numbered(new[] { input }), new[] { input })),
        // An extra pyramid level of one input: the level it appends to a pyramid of that input alone.
        ExtraFpnBlock and IDescribedModule => input => new[] { ("", ((ExtraFpnBlock)module).Extend(FeatureMaps.Numbered(new[] { input }), new[] { input })[^1]) },
        IDescribedOutputs and not IDescribedModule => throw new NotSupportedException(
            $"A {module.GetType().Name} describes several outputs, and its forward's outputs are not known to the check. " + Unverifiable),
        nn.Module<Tensor, Tensor> single => input => new[] { ("", single.call(input)) },
        _ => throw new NotSupportedException(
            $"A {module.GetType().Name}'s forward does not take and return one tensor, so its description cannot be compared with it. " + Unverifiable),
    };

    private const string Unverifiable =
        "Check the modules inside it with DescriptionCheck.Verify; to export it, set OnnxExportOptions.VerifyAgainstForward = false.";

    private static (string Name, Tensor Value)[] Named(FeatureMaps maps) => maps.Names.Zip(maps, (name, map) => (name, map)).ToArray();
}

/// <summary>Every module's training flag, set to false for a check and restored exactly afterwards.</summary>
internal sealed class EvalModes : IDisposable
{
    private readonly List<(int Depth, nn.Module Module, bool Training)> flags;

    private EvalModes(nn.Module root)
    {
        flags = new List<(int, nn.Module, bool)> { (0, root, root.training) };
        foreach (var (name, module) in root.named_modules())
            if (!ReferenceEquals(module, root))
                flags.Add((Depth(name), module, module.training));
        root.eval();
    }

    public static EvalModes Enter(nn.Module root) => new(root);

    public void Dispose()
    {
        // train() recurses, so restore shallow modules first and let their descendants set their own flags after them.
        foreach (var (_, module, training) in flags.OrderBy(flag => flag.Depth))
            module.train(training);
    }

    private static int Depth(string name) => name.Length == 0 ? 0 : name.Count(c => c == '.') + 1;
}
