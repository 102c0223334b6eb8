using System;
using System.Collections.Generic;
using System.Linq;
using ResNeStBlocks.Backbones;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNeStBlocks.Training;

/// <summary>Creates exponential moving averages of models.</summary>
public static class ModelEma
{
    /// <summary>An average of a <see cref="ResNet"/>, kept in a second model built from the same configuration.</summary>
    /// <param name="model">The model being trained.</param>
    /// <param name="options">Decay and warm-up; timm's defaults when null.</param>
    /// <returns>The average; dispose it to free its copy.</returns>
    public static ModelEma<ResNet> For(ResNet model, EmaOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        return new ModelEma<ResNet>(model, () => new ResNet(model.Config), options);
    }
}

/// <summary>
/// An exponential moving average of a model's weights, as timm's <c>ModelEmaV3</c> keeps it: after each optimizer
/// step every floating-point parameter and buffer of the copy moves towards the model's,
/// <c>ema = lerp(ema, model, 1 - decay)</c>, and integer buffers (such as <c>num_batches_tracked</c>) are copied.
/// The copy lives on the model's device, in eval mode and without gradients, so it can be evaluated on its own.
/// </summary>
/// <remarks>
/// An update issues one in-place kernel per tensor and never reads a value back to the host. The decay depends only
/// on the step count the caller passes (<see cref="EmaOptions.DecayAt"/>), so a resumed run that restores the step
/// continues the same average.
/// </remarks>
/// <typeparam name="TModule">The model type.</typeparam>
public sealed class ModelEma<TModule> : IDisposable where TModule : nn.Module
{
    private readonly HashSet<string> bufferNames;

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
            bufferNames = copy.named_buffers().Select(b => b.name).ToHashSet(StringComparer.Ordinal);
            Module = copy;
            CopyFrom(model);
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
    public double Update(TModule model, long step)
    {
        ArgumentNullException.ThrowIfNull(model);
        double decay = Options.DecayAt(step);
        using var _ = no_grad();
        var source = model.state_dict();
        foreach (var (key, average) in Module.state_dict())
        {
            var value = source[key];
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
    public void CopyFrom(TModule model)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var _ = no_grad();
        var source = model.state_dict();
        foreach (var (key, average) in Module.state_dict())
            average.copy_(source[key]);
    }

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
