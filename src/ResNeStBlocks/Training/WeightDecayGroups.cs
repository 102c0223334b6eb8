using System;
using System.Collections.Generic;
using System.Linq;
using ResNeStBlocks.Weights;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ResNeStBlocks.Training;

/// <summary>
/// A model's trainable parameters split as timm's <c>param_groups_weight_decay</c> splits them: every parameter with at
/// most one dimension (norm scales and shifts, biases) or whose name ends with <c>.bias</c>, or that the caller names,
/// gets no weight decay; the rest (convolution and linear weights) get the run's weight decay. Frozen parameters
/// (<c>requires_grad = false</c>) are left out of both groups.
/// </summary>
/// <param name="NoDecay">Parameters trained without weight decay, in the model's order (timm's first group).</param>
/// <param name="Decay">Parameters trained with weight decay, in the model's order (timm's second group).</param>
public sealed record WeightDecayGroups(IReadOnlyList<(string Name, Parameter Parameter)> NoDecay, IReadOnlyList<(string Name, Parameter Parameter)> Decay)
{
    /// <summary>Splits <paramref name="model"/>'s trainable parameters.</summary>
    /// <param name="model">The model.</param>
    /// <param name="noWeightDecay">Further parameter names to exempt from weight decay (timm <c>no_weight_decay_list</c>).</param>
    /// <returns>The two groups.</returns>
    /// <exception cref="ArgumentException">The model has no registered parameters (a custom module that did not call <c>RegisterComponents()</c>).</exception>
    public static WeightDecayGroups Split(nn.Module model, IEnumerable<string>? noWeightDecay = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ModuleRegistration.Require(model, nameof(model), "there is nothing to train", buffersCount: false);
        var exempt = new HashSet<string>(noWeightDecay ?? Array.Empty<string>(), StringComparer.Ordinal);
        var noDecay = new List<(string, Parameter)>();
        var decay = new List<(string, Parameter)>();
        foreach (var (name, parameter) in model.named_parameters())
        {
            if (!parameter.requires_grad)
                continue;
            bool exemptFromDecay = parameter.dim() <= 1 || name.EndsWith(".bias", StringComparison.Ordinal) || exempt.Contains(name);
            (exemptFromDecay ? noDecay : decay).Add((name, parameter));
        }
        return new WeightDecayGroups(noDecay, decay);
    }

    /// <summary>The library's <see cref="Sgd"/> over the two groups (no decay first, as timm orders them).</summary>
    /// <param name="learningRate">Learning rate of both groups.</param>
    /// <param name="weightDecay">L2 weight decay of the decayed group.</param>
    /// <param name="momentum">Momentum (0 for none).</param>
    /// <param name="nesterov">Nesterov momentum (timm's <c>sgd</c> default).</param>
    /// <returns>The optimizer; dispose it with the model.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A rate, decay or momentum is negative or not finite.</exception>
    public Sgd CreateSgd(double learningRate, double weightDecay, double momentum = 0.9, bool nesterov = false)
    {
        OptimizerArguments.Positive(learningRate, nameof(learningRate));
        OptimizerArguments.NonNegative(weightDecay, nameof(weightDecay));
        OptimizerArguments.NonNegative(momentum, nameof(momentum));
        var groups = new[]
        {
            new Sgd.ParamGroup(NoDecay.Select(p => p.Parameter), weightDecay: 0),
            new Sgd.ParamGroup(Decay.Select(p => p.Parameter), weightDecay: weightDecay),
        };
        return new Sgd(groups, learningRate, momentum, weightDecay: weightDecay, nesterov: nesterov);
    }

    /// <summary>The library's <see cref="AdamW"/> over the two groups (no decay first, as timm orders them).</summary>
    /// <param name="learningRate">Learning rate of both groups.</param>
    /// <param name="weightDecay">Decoupled weight decay of the decayed group.</param>
    /// <param name="beta1">First-moment coefficient.</param>
    /// <param name="beta2">Second-moment coefficient.</param>
    /// <param name="eps">Denominator term.</param>
    /// <returns>The optimizer; dispose it with the model.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A rate or decay is negative or not finite, or a beta is outside [0, 1).</exception>
    public AdamW CreateAdamW(double learningRate, double weightDecay, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8)
    {
        OptimizerArguments.Positive(learningRate, nameof(learningRate));
        OptimizerArguments.NonNegative(weightDecay, nameof(weightDecay));
        var groups = new[]
        {
            new AdamW.ParamGroup(NoDecay.Select(p => p.Parameter), weightDecay: 0),
            new AdamW.ParamGroup(Decay.Select(p => p.Parameter), weightDecay: weightDecay),
        };
        return new AdamW(groups, learningRate, beta1, beta2, eps, weightDecay);
    }
}
