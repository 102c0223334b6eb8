using System;
using System.Collections.Generic;
using System.Linq;
using ResNeStBlocks.Backbones;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNeStBlocks.Training;

/// <summary>
/// An exponential moving average of any module's weights, as timm's <c>ModelEmaV3</c> keeps it: after each optimizer
/// step every floating-point parameter and buffer of the average moves towards the model's,
/// <c>ema = lerp(ema, model, 1 - decay)</c>, and integer buffers (such as <c>num_batches_tracked</c>) are copied. The
/// average is held as tensors on the model's device, keyed like its state dict; evaluate it inside the model with
/// <see cref="Apply"/>, or load it into a second module with <see cref="CopyTo"/>.
/// </summary>
/// <remarks>
/// <para>Takes any <c>nn.Module</c> (a <c>Sequential</c> of your own, a <c>SegmentationModel</c>, ...) and needs no way
/// to build a copy. To keep the average in a module of its own instead, evaluated side by side, use
/// <see cref="ModelEma{TModule}"/> (<see cref="For(ResNet, EmaOptions)"/> for a ResNet).</para>
/// <para>An update issues one in-place kernel per tensor and never reads a value back to the host. The decay depends
/// only on the step count the caller passes (<see cref="EmaOptions.DecayAt"/>), so a resumed run that restores the step
/// continues the same average.</para>
/// </remarks>
public sealed class ModelEma : IDisposable
{
    private readonly IReadOnlyDictionary<string, Tensor> averages;
    private readonly HashSet<string> bufferNames;
    private readonly bool ownsAverages;

    /// <summary>Starts the average at <paramref name="model"/>'s current weights.</summary>
    /// <param name="model">The model being trained.</param>
    /// <param name="options">Decay and warm-up; timm's defaults when null.</param>
    public ModelEma(nn.Module model, EmaOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        Options = options ?? new EmaOptions();
        Options.Validate();
        using var _ = no_grad();
        averages = model.state_dict().ToDictionary(p => p.Key, p => p.Value.detach().clone(), StringComparer.Ordinal);
        bufferNames = model.named_buffers().Select(b => b.name).ToHashSet(StringComparer.Ordinal);
        ownsAverages = true;
    }

    // Averages held by another owner (the copy of a ModelEma<TModule>).
    internal ModelEma(IReadOnlyDictionary<string, Tensor> averages, IEnumerable<string> bufferNames, EmaOptions options)
    {
        this.averages = averages;
        this.bufferNames = bufferNames.ToHashSet(StringComparer.Ordinal);
        Options = options;
    }

    /// <summary>Decay and warm-up settings.</summary>
    public EmaOptions Options { get; }

    /// <summary>The averaged tensors by state-dict key (owned by the average: read or copy them, do not dispose them).</summary>
    public IReadOnlyDictionary<string, Tensor> Averages => averages;

    /// <summary>An average of a <see cref="ResNet"/>, kept in a second model built from the same configuration.</summary>
    /// <param name="model">The model being trained.</param>
    /// <param name="options">Decay and warm-up; timm's defaults when null.</param>
    /// <returns>The average; dispose it to free its copy.</returns>
    public static ModelEma<ResNet> For(ResNet model, EmaOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        return new ModelEma<ResNet>(model, () => new ResNet(model.Config), options);
    }

    /// <summary>Moves the average towards <paramref name="model"/> after optimizer step <paramref name="step"/>.</summary>
    /// <param name="model">The model being trained (the same state-dict keys as when the average started).</param>
    /// <param name="step">Optimizer steps taken so far, including the one just taken (1 after the first step).</param>
    /// <returns>The decay that was applied.</returns>
    /// <exception cref="ArgumentException">The model lacks a key of the average.</exception>
    public double Update(nn.Module model, long step)
    {
        ArgumentNullException.ThrowIfNull(model);
        double decay = Options.DecayAt(step);
        using var _ = no_grad();
        var source = model.state_dict();
        foreach (var (key, average) in averages)
        {
            var value = Source(source, key);
            bool averaged = average.is_floating_point() && !(Options.ExcludeBuffers && bufferNames.Contains(key));
            if (averaged)
                average.lerp_(value, 1 - decay);
            else
                average.copy_(value);
        }
        return decay;
    }

    /// <summary>Sets the average to <paramref name="model"/>'s weights exactly.</summary>
    /// <param name="model">The source model.</param>
    /// <exception cref="ArgumentException">The model lacks a key of the average.</exception>
    public void CopyFrom(nn.Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var _ = no_grad();
        var source = model.state_dict();
        foreach (var (key, average) in averages)
            average.copy_(Source(source, key));
    }

    /// <summary>Writes the average into <paramref name="target"/> (the trained model, or a second module of its structure).</summary>
    /// <param name="target">A module with the average's state-dict keys and shapes.</param>
    /// <exception cref="ArgumentException">The target lacks a key of the average.</exception>
    public void CopyTo(nn.Module target)
    {
        ArgumentNullException.ThrowIfNull(target);
        using var _ = no_grad();
        var destination = target.state_dict();
        foreach (var (key, average) in averages)
            Source(destination, key, nameof(target)).copy_(average);
    }

    /// <summary>
    /// Puts the average into <paramref name="model"/> until the result is disposed, which puts the trained weights back:
    /// <c>using (ema.Apply(model)) Evaluate(model);</c>.
    /// </summary>
    /// <param name="model">The model being trained.</param>
    /// <returns>Restores the trained weights when disposed.</returns>
    /// <exception cref="ArgumentException">The model lacks a key of the average.</exception>
    public IDisposable Apply(nn.Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        Dictionary<string, Tensor> trained;
        using (no_grad())
            trained = averages.Keys.ToDictionary(key => key, key => Source(model.state_dict(), key).detach().clone(), StringComparer.Ordinal);
        CopyTo(model);
        return new Restore(model, trained);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (!ownsAverages)
            return;
        foreach (var average in averages.Values)
            average.Dispose();
    }

    private static Tensor Source(IReadOnlyDictionary<string, Tensor> state, string key, string parameterName = "model") =>
        state.TryGetValue(key, out var value)
            ? value
            : throw new ArgumentException(
                $"The module has no '{key}', which the average holds; pass the module the average was started from (the same state-dict keys).",
                parameterName);

    private sealed class Restore : IDisposable
    {
        private readonly nn.Module model;
        private readonly Dictionary<string, Tensor> trained;

        public Restore(nn.Module model, Dictionary<string, Tensor> trained)
        {
            this.model = model;
            this.trained = trained;
        }

        public void Dispose()
        {
            using (no_grad())
            {
                var state = model.state_dict();
                foreach (var (key, value) in trained)
                    state[key].copy_(value);
            }
            foreach (var value in trained.Values)
                value.Dispose();
            trained.Clear();
        }
    }
}

/// <summary>
/// An exponential moving average of a model's weights, as timm's <c>ModelEmaV3</c> keeps it: after each optimizer
/// step every floating-point parameter and buffer of the copy moves towards the model's,
/// <c>ema = lerp(ema, model, 1 - decay)</c>, and integer buffers (such as <c>num_batches_tracked</c>) are copied.
/// The copy lives on the model's device, in eval mode and without gradients, so it can be evaluated on its own.
/// </summary>
/// <remarks>
/// The arithmetic is <see cref="ModelEma"/>'s, applied to the copy's own tensors. Use this form to evaluate (or
/// checkpoint, or export) the average as a module of its own; <see cref="ModelEma"/> needs no copy.
/// </remarks>
/// <typeparam name="TModule">The model type.</typeparam>
public sealed class ModelEma<TModule> : IDisposable where TModule : nn.Module
{
    private readonly ModelEma average;

    /// <summary>Creates the average as a copy of <paramref name="model"/>'s current weights.</summary>
    /// <param name="model">The model being trained.</param>
    /// <param name="createCopy">Builds a module with exactly <paramref name="model"/>'s structure (its weights are overwritten).</param>
    /// <param name="options">Decay and warm-up; timm's defaults when null.</param>
    /// <exception cref="ArgumentException">The copy's state-dict keys or shapes differ from the model's.</exception>
    public ModelEma(TModule model, Func<TModule> createCopy, EmaOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(createCopy);
        Options = options ?? new EmaOptions();
        Options.Validate();
        var copy = createCopy();
        try
        {
            var device = model.parameters().FirstOrDefault()?.device;
            if (device is not null)
                copy.to(device);
            CheckSameStructure(model, copy);
            copy.eval();
            foreach (var parameter in copy.parameters())
                parameter.requires_grad = false;
            Module = copy;
            average = new ModelEma(copy.state_dict(), copy.named_buffers().Select(b => b.name), Options);
            average.CopyFrom(model);
        }
        catch
        {
            copy.Dispose();
            throw;
        }
    }

    /// <summary>The averaged model (eval mode, no gradients). Evaluate it like any model; do not train it.</summary>
    public TModule Module { get; }

    /// <summary>Decay and warm-up settings.</summary>
    public EmaOptions Options { get; }

    /// <summary>Moves the average towards <paramref name="model"/> after optimizer step <paramref name="step"/>.</summary>
    /// <param name="model">The model being trained (same structure as <see cref="Module"/>).</param>
    /// <param name="step">Optimizer steps taken so far, including the one just taken (1 after the first step).</param>
    /// <returns>The decay that was applied.</returns>
    public double Update(TModule model, long step) => average.Update(model, step);

    /// <summary>Sets the average to <paramref name="model"/>'s weights exactly.</summary>
    /// <param name="model">The source model.</param>
    public void CopyFrom(TModule model) => average.CopyFrom(model);

    /// <inheritdoc />
    public void Dispose() => Module.Dispose();

    private static void CheckSameStructure(nn.Module model, nn.Module copy)
    {
        var expected = model.state_dict();
        var actual = copy.state_dict();
        var differences = expected.Keys.Except(actual.Keys).Select(k => $"'{k}' missing from the copy")
            .Concat(actual.Keys.Except(expected.Keys).Select(k => $"'{k}' only in the copy"))
            .Concat(expected.Keys.Intersect(actual.Keys)
                .Where(k => !expected[k].shape.SequenceEqual(actual[k].shape) || expected[k].dtype != actual[k].dtype)
                .Select(k => $"'{k}' is {expected[k].dtype} [{string.Join(", ", expected[k].shape)}] in the model but {actual[k].dtype} [{string.Join(", ", actual[k].shape)}] in the copy"))
            .Take(5).ToList();
        if (differences.Count > 0)
            throw new ArgumentException(
                $"createCopy must build a module with the model's exact state-dict keys, shapes and dtypes; {string.Join("; ", differences)}.",
                "createCopy");
    }
}
