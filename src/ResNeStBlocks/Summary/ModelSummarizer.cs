using System;
using System.Collections.Generic;
using System.Linq;
using ResNeStBlocks.Description;
using static TorchSharp.torch;

namespace ResNeStBlocks.Summary;

/// <summary>
/// Computes a <see cref="ModelSummary"/> (per-layer output shapes, parameters and MACs) by running one forward pass
/// with forward hooks on every module: <c>model.Summarize(1, 3, 224, 224)</c>.
/// </summary>
/// <remarks>
/// <para>
/// The pass runs in eval mode under <c>no_grad</c> on zeros of the requested shape, on the device and floating-point
/// dtype of the module's first parameter (CPU float32 when it has none). Training flags are restored afterwards,
/// module by module, and every hook is removed, also when the forward pass throws.
/// </para>
/// <para>
/// MACs (multiply-accumulates) are counted per sample, as fvcore and thop do, with biases excluded:
/// a convolution costs <c>output_elements * (in_channels / groups) * kernel_volume</c>; a transposed convolution
/// <c>input_elements * (out_channels / groups) * kernel_volume</c>; a linear layer
/// <c>output_elements * in_features</c> (that is <c>in_features * out_features</c> for a flat input).
/// Everything else (BatchNorm, pooling, activations, softmax, elementwise arithmetic, and any operation written
/// directly in a module's <c>forward</c> rather than in a child module) counts 0. Element counts are divided by the
/// input's batch size, and a module called several times is charged for every call.
/// </para>
/// <para>
/// Hooks fire only when a parent invokes its child through <c>call()</c> (TorchSharp's <c>forward()</c> bypasses
/// hooks); leaves that never fired are listed in <see cref="ModelSummary.UnobservedLayers"/> with no output shape
/// and 0 MACs. Only modules of type <c>Module&lt;Tensor, Tensor&gt;</c> can be observed.
/// </para>
/// </remarks>
public static class ModelSummarizer
{
    /// <summary>Summarises <paramref name="module"/> for an input of <paramref name="inputShape"/>.</summary>
    /// <param name="module">The model; it is left in the training mode it had.</param>
    /// <param name="inputShape">The full input shape, batch dimension first (for example <c>1, 3, 224, 224</c>).</param>
    /// <returns>
    /// Rows for every leaf module (and every module owning parameters directly) in forward order, plus totals: the
    /// order of the model's description (<see cref="IDescribedModule"/>) when it has one, else the order the modules were
    /// first called; a module without a position follows the row defined before it.
    /// </returns>
    /// <exception cref="ArgumentNullException"><paramref name="module"/> or <paramref name="inputShape"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="inputShape"/> is empty or has a dimension below 1.</exception>
    public static ModelSummary Summarize(this nn.Module<Tensor, Tensor> module, params long[] inputShape)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(inputShape);
        if (inputShape.Length == 0 || inputShape.Any(d => d < 1))
            throw new ArgumentException(
                $"inputShape must have at least one dimension, each at least 1 (batch first), got [{string.Join(", ", inputShape)}].",
                nameof(inputShape));

        var modules = new List<(string Name, nn.Module Module)> { (string.Empty, module) };
        modules.AddRange(module.named_modules());
        var observations = Observe(module, modules, (long[])inputShape.Clone());

        var rows = new List<(double Order, LayerSummary Row)>();
        var unobserved = new List<string>();
        // A described model orders its rows as its description runs the modules, which also places modules its forward
        // invokes without hooks; otherwise the hooks' call order does.
        var forwardOrder = ForwardOrder.Of(module);
        double previous = -1;
        foreach (var (name, m) in modules)
        {
            bool leaf = !m.named_children().Any();
            var own = m.named_parameters(recurse: false).Select(p => p.parameter).ToList();
            if (!leaf && own.Count == 0)
                continue;
            observations.TryGetValue(name, out var seen);
            if (leaf && seen is null)
                unobserved.Add(name);
            // Rows in forward order; a row without a position stays right after its predecessor in definition order.
            int? position = forwardOrder is null ? seen?.Order : forwardOrder.TryGetValue(m, out int used) ? used : null;
            previous = position ?? previous + 1e-6;
            rows.Add((previous, new LayerSummary(
                name,
                m.GetType().Name,
                seen?.OutputShape,
                own.Sum(p => p.numel()),
                own.Where(p => p.requires_grad).Sum(p => p.numel()),
                seen?.Macs ?? 0)));
        }

        var all = module.parameters().ToList();
        return new ModelSummary(
            (long[])inputShape.Clone(),
            rows.OrderBy(r => r.Order).Select(r => r.Row).ToList(),
            all.Sum(p => p.numel()),
            all.Where(p => p.requires_grad).Sum(p => p.numel()),
            unobserved,
            modules.ToDictionary(x => x.Name, x => x.Module.GetType().Name),
            observations.ToDictionary(x => x.Key, x => x.Value.OutputShape));
    }

    /// <summary>Runs the hooked forward pass; returns what each module produced, keyed by module path.</summary>
    private static Dictionary<string, Observation> Observe(
        nn.Module<Tensor, Tensor> root, List<(string Name, nn.Module Module)> modules, long[] inputShape)
    {
        long batch = inputShape[0];
        var seen = new Dictionary<string, Observation>(StringComparer.Ordinal);
        var started = new Dictionary<string, int>(StringComparer.Ordinal);
        var removers = new List<Action>();
        var training = modules.Select(x => x.Module.training).ToList();
        try
        {
            foreach (var (name, m) in modules)
            {
                if (m is not nn.Module<Tensor, Tensor> hookable)
                    continue;
                var before = hookable.register_forward_pre_hook((self, input) =>
                {
                    started.TryAdd(name, started.Count);
                    return input;
                });
                removers.Add(before.remove);
                var after = hookable.register_forward_hook((self, input, output) =>
                {
                    long macs = MacCounter.Count(self, input.shape, output.shape) / batch;
                    seen[name] = seen.TryGetValue(name, out var earlier)
                        ? earlier with { OutputShape = output.shape, Macs = earlier.Macs + macs }
                        : new Observation(started[name], output.shape, macs);
                    return output;
                });
                removers.Add(after.remove);
            }

            var (device, dtype) = Placement(root);
            root.eval();
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            root.call(zeros(inputShape, dtype, device));
        }
        finally
        {
            foreach (var remove in removers)
                remove();
            // train() recurses, so restore shallow modules first and let their descendants override them.
            foreach (int i in Enumerable.Range(0, modules.Count).OrderBy(i => Depth(modules[i].Name)))
                modules[i].Module.train(training[i]);
        }
        return seen;
    }

    private static (Device Device, ScalarType DType) Placement(nn.Module module)
    {
        var reference = module.parameters().Concat(module.buffers()).FirstOrDefault(t => t.dtype.IsFloatingPoint())
                        ?? module.parameters().Concat(module.buffers()).FirstOrDefault();
        if (reference is null)
            return (CPU, ScalarType.Float32);
        return (reference.device, reference.dtype.IsFloatingPoint() ? reference.dtype : ScalarType.Float32);
    }

    private static int Depth(string name) => name.Length == 0 ? 0 : name.Count(c => c == '.') + 1;

    private sealed record Observation(int Order, long[] OutputShape, long Macs);
}
