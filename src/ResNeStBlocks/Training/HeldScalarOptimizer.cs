using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ResNeStBlocks.Training;

/// <summary>
/// What the library's optimizers (<see cref="Sgd"/>, <see cref="AdamW"/>) share: a TorchSharp optimizer whose parameter
/// groups take the optimizer's defaults for the settings they leave unset, one state per parameter, an update that holds
/// every scalar it passes to a native call, gradients set to none by <see cref="zero_grad"/>, and states released on
/// disposal.
/// </summary>
/// <typeparam name="TOptions">A group's settings.</typeparam>
/// <typeparam name="TState">A parameter's state.</typeparam>
public abstract class HeldScalarOptimizer<TOptions, TState> : OptimizerHelper
    where TOptions : OptimizerOptions, new()
    where TState : OptimizerState, IDisposable
{
    private protected HeldScalarOptimizer(TOptions defaults, IEnumerable<TorchSharp.Modules.ParamGroup> groups)
    {
        ArgumentNullException.ThrowIfNull(groups);
        defaults.InitialLearningRate = defaults.LearningRate!.Value;
        Validate(defaults);
        _defaults = defaults;
        _parameter_groups = new List<TorchSharp.Modules.ParamGroup>();
        foreach (var group in groups)
            add_param_group(group);
    }

    /// <summary>The optimizer's default settings, which groups without their own take.</summary>
    private protected TOptions Defaults => (TOptions)_defaults;

    /// <summary>Adds a group; its unset settings take the optimizer's defaults.</summary>
    /// <param name="param_group">The group: parameters and, optionally, settings of this optimizer's kind.</param>
    /// <exception cref="ArgumentException">The group's settings are of another optimizer's kind.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range.</exception>
    public override void add_param_group(TorchSharp.Modules.ParamGroup param_group)
    {
        ArgumentNullException.ThrowIfNull(param_group);
        if (param_group.Options is not TOptions options)
        {
            if (param_group.Options is not null)
                throw new ArgumentException(
                    $"A {GetType().Name} parameter group takes {GetType().Name}.Options, got {param_group.Options.GetType().Name}.", nameof(param_group));
            param_group.Options = options = new TOptions();
        }
        options.LearningRate ??= Defaults.LearningRate;
        TakeDefaults(options);
        Validate(options);
        options.InitialLearningRate = options.LearningRate!.Value;
        // Materialised once: a lazy sequence would be enumerated again on every step.
        param_group.Parameters = param_group.Parameters.ToList();
        _parameter_groups.Add(param_group);
        foreach (var parameter in param_group.Parameters)
        {
            var state = CreateState(parameter);
            _state[parameter.Handle] = state;
            state.Initialize(options);
        }
    }

    /// <summary>One update of every parameter that has a gradient.</summary>
    /// <param name="closure">Recomputes the loss (optional).</param>
    /// <returns>The closure's loss, or null.</returns>
    public override Tensor step(Func<Tensor>? closure = null) =>
        _step<TorchSharp.Modules.ParamGroup>(group => Update(group.Parameters, (TOptions)group.Options), closure);

    /// <summary>Sets every parameter's gradient to none, as PyTorch's <c>zero_grad()</c> does by default; the next backward
    /// pass allocates fresh gradients instead of adding to zeroed ones.</summary>
    public override void zero_grad()
    {
        foreach (var group in _parameter_groups)
        {
            foreach (var parameter in group.Parameters)
                parameter.grad = null;
        }
    }

    /// <summary>The state of <paramref name="parameter"/>.</summary>
    private protected TState StateOf(Parameter parameter) => (TState)_state[parameter.Handle];

    /// <summary>Copies the defaults into the settings <paramref name="options"/> leaves unset (the learning rate is done).</summary>
    private protected abstract void TakeDefaults(TOptions options);

    /// <summary>Throws on a setting out of range.</summary>
    private protected abstract void Validate(TOptions options);

    /// <summary>A fresh state for <paramref name="parameter"/>.</summary>
    private protected abstract TState CreateState(Parameter parameter);

    /// <summary>Updates the parameters of one group (under no-grad and a dispose scope), holding every scalar it passes.</summary>
    private protected abstract void Update(IEnumerable<Parameter> parameters, TOptions options);

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (!disposing)
            return;
        foreach (var (_, state) in _state)
            ((TState)state).Dispose();
        _state.Clear();
    }
}
