using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ResNeStBlocks.Training;

/// <summary>
/// Adam with decoupled weight decay (Loshchilov and Hutter, 2019): PyTorch's <c>torch.optim.AdamW</c> (and TorchSharp's
/// <c>optim.AdamW</c>) step for step, with every scalar of its native calls held across the call.
/// </summary>
/// <remarks>
/// <para>Per parameter and step <c>t</c>, with gradient <c>g</c>: <c>p *= 1 - lr * weightDecay</c>;
/// <c>m = beta1 * m + (1 - beta1) * g</c>; <c>v = beta2 * v + (1 - beta2) * g * g</c>;
/// <c>p -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)</c>.</para>
/// <para>Why not TorchSharp's: see <see cref="Sgd"/>. Like it, this is a TorchSharp optimizer: learning rates through
/// <see cref="torch.optim.Optimizer.ParamGroups"/>, exact save and restore through <see cref="TrainingCheckpoint"/>, and
/// <c>zero_grad</c> sets gradients to none.</para>
/// </remarks>
public sealed class AdamW : HeldScalarOptimizer<AdamW.Options, AdamW.State>, optim.IBetas
{
    /// <summary>Creates the optimizer over one group of parameters.</summary>
    /// <param name="parameters">The parameters to train.</param>
    /// <param name="learningRate">Learning rate, positive.</param>
    /// <param name="beta1">First-moment coefficient, in [0, 1).</param>
    /// <param name="beta2">Second-moment coefficient, in [0, 1).</param>
    /// <param name="eps">Denominator term, 0 or more.</param>
    /// <param name="weightDecay">Decoupled weight decay, 0 or more (PyTorch's default 0.01).</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public AdamW(IEnumerable<Parameter> parameters, double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0.01)
        : this(new[] { new ParamGroup(parameters ?? throw new ArgumentNullException(nameof(parameters))) }, learningRate, beta1, beta2, eps, weightDecay)
    {
    }

    /// <summary>Creates the optimizer over several groups; a group's unset options take these defaults.</summary>
    /// <param name="groups">The parameter groups.</param>
    /// <param name="learningRate">Default learning rate, positive.</param>
    /// <param name="beta1">Default first-moment coefficient, in [0, 1).</param>
    /// <param name="beta2">Default second-moment coefficient, in [0, 1).</param>
    /// <param name="eps">Default denominator term, 0 or more.</param>
    /// <param name="weightDecay">Default decoupled weight decay, 0 or more.</param>
    /// <exception cref="ArgumentOutOfRangeException">A value (default or a group's) is out of range.</exception>
    public AdamW(IEnumerable<ParamGroup> groups, double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0.01)
        : base(new Options { LearningRate = learningRate, Beta1 = beta1, Beta2 = beta2, Eps = eps, WeightDecay = weightDecay },
            groups ?? throw new ArgumentNullException(nameof(groups)))
    {
    }

    /// <summary>The default moment coefficients (PyTorch's <c>defaults['betas']</c>); groups keep their own.</summary>
    public (double, double) Betas
    {
        get => (Defaults.Beta1!.Value, Defaults.Beta2!.Value);
        set => (Defaults.Beta1, Defaults.Beta2) = value;
    }

    private protected override void TakeDefaults(Options options)
    {
        options.Beta1 ??= Defaults.Beta1;
        options.Beta2 ??= Defaults.Beta2;
        options.Eps ??= Defaults.Eps;
        options.WeightDecay ??= Defaults.WeightDecay;
    }

    private protected override State CreateState(Parameter parameter) => new(parameter);

    private protected override void Update(IEnumerable<Parameter> parameters, Options options)
    {
        double rate = options.LearningRate!.Value, beta1 = options.Beta1!.Value, beta2 = options.Beta2!.Value;
        using Scalar decayFactor = 1 - rate * options.WeightDecay!.Value;
        using Scalar firstKeep = beta1, firstTake = 1 - beta1, secondKeep = beta2, secondTake = 1 - beta2;
        using Scalar eps = options.Eps!.Value;
        foreach (var parameter in parameters)
        {
            var gradient = parameter.grad;
            if (gradient is null)
                continue;
            var state = StateOf(parameter);
            state.Step++;
            parameter.mul_(decayFactor);
            state.ExpAvg.mul_(firstKeep).add_(gradient, firstTake);
            state.ExpAvgSq.mul_(secondKeep).addcmul_(gradient, gradient, secondTake);
            using Scalar secondCorrection = Math.Sqrt(1 - Math.Pow(beta2, state.Step));
            using Scalar negativeStepSize = -rate / (1 - Math.Pow(beta1, state.Step));
            var denominator = state.ExpAvgSq.sqrt().div_(secondCorrection).add_(eps, HeldScalars.One);
            parameter.addcdiv_(state.ExpAvg, denominator, negativeStepSize);
        }
    }

    private protected override void Validate(Options options)
    {
        OptimizerArguments.Positive(options.LearningRate!.Value, "learningRate");
        OptimizerArguments.Coefficient(options.Beta1!.Value, "beta1");
        OptimizerArguments.Coefficient(options.Beta2!.Value, "beta2");
        OptimizerArguments.NonNegative(options.Eps!.Value, "eps");
        OptimizerArguments.NonNegative(options.WeightDecay!.Value, "weightDecay");
    }

    /// <summary>A group's settings; unset values take the optimizer's defaults.</summary>
    public sealed class Options : OptimizerOptions
    {
        /// <summary>First-moment coefficient.</summary>
        public double? Beta1 { get; set; }

        /// <summary>Second-moment coefficient.</summary>
        public double? Beta2 { get; set; }

        /// <summary>Denominator term.</summary>
        public double? Eps { get; set; }

        /// <summary>Decoupled weight decay.</summary>
        public double? WeightDecay { get; set; }

        /// <inheritdoc />
        public override void SaveStateDict(BinaryWriter writer)
        {
            base.SaveStateDict(writer);
            writer.Write(Beta1!.Value);
            writer.Write(Beta2!.Value);
            writer.Write(Eps!.Value);
            writer.Write(WeightDecay!.Value);
        }

        /// <inheritdoc />
        public override void LoadStateDict(BinaryReader reader)
        {
            base.LoadStateDict(reader);
            Beta1 = reader.ReadDouble();
            Beta2 = reader.ReadDouble();
            Eps = reader.ReadDouble();
            WeightDecay = reader.ReadDouble();
        }

        /// <inheritdoc />
        public override void LoadStateDict(OptimizerOptions source)
        {
            base.LoadStateDict(source);
            var other = (Options)source;
            Beta1 = other.Beta1;
            Beta2 = other.Beta2;
            Eps = other.Eps;
            WeightDecay = other.WeightDecay;
        }
    }

    /// <summary>A group of parameters with its own settings.</summary>
    public sealed class ParamGroup : ParamGroup<Options>
    {
        /// <summary>Creates a group; null settings take the optimizer's defaults.</summary>
        /// <param name="parameters">The group's parameters.</param>
        /// <param name="learningRate">Learning rate.</param>
        /// <param name="beta1">First-moment coefficient.</param>
        /// <param name="beta2">Second-moment coefficient.</param>
        /// <param name="eps">Denominator term.</param>
        /// <param name="weightDecay">Decoupled weight decay.</param>
        public ParamGroup(IEnumerable<Parameter> parameters, double? learningRate = null, double? beta1 = null, double? beta2 = null,
            double? eps = null, double? weightDecay = null)
            : base(parameters, new Options { LearningRate = learningRate, Beta1 = beta1, Beta2 = beta2, Eps = eps, WeightDecay = weightDecay })
        {
        }
    }

    /// <summary>A parameter's step count and moment estimates.</summary>
    public sealed class State : OptimizerState, IDisposable
    {
        internal State(Parameter parameter) : base(parameter)
        {
            ExpAvg = zeros_like(parameter).DetachFromDisposeScope();
            ExpAvgSq = zeros_like(parameter).DetachFromDisposeScope();
        }

        /// <summary>Updates applied to this parameter.</summary>
        public long Step { get; internal set; }

        /// <summary>The first-moment estimate.</summary>
        public Tensor ExpAvg { get; private set; }

        /// <summary>The second-moment estimate.</summary>
        public Tensor ExpAvgSq { get; private set; }

        /// <inheritdoc />
        public override void Initialize(OptimizerOptions options)
        {
            Step = 0;
            ExpAvg.zero_();
            ExpAvgSq.zero_();
        }

        /// <inheritdoc />
        public override void SaveStateDict(BinaryWriter writer)
        {
            writer.Write(Step);
            ExpAvg.Save(writer);
            ExpAvgSq.Save(writer);
        }

        /// <inheritdoc />
        public override void LoadStateDict(BinaryReader reader)
        {
            Step = reader.ReadInt64();
            ExpAvg.Load(reader);
            ExpAvgSq.Load(reader);
        }

        /// <inheritdoc />
        public override void LoadStateDict(OptimizerState source)
        {
            var other = (State)source;
            Step = other.Step;
            using (no_grad())
            {
                ExpAvg.copy_(other.ExpAvg);
                ExpAvgSq.copy_(other.ExpAvgSq);
            }
        }

        /// <inheritdoc />
        public override bool ApproximatelyEquals(OptimizerState other) =>
            other is State state && Step == state.Step && ExpAvg.allclose(state.ExpAvg) && ExpAvgSq.allclose(state.ExpAvgSq);

        /// <inheritdoc />
        public override void to(Device device)
        {
            ExpAvg = StateTensors.Moved(ExpAvg, device)!;
            ExpAvgSq = StateTensors.Moved(ExpAvgSq, device)!;
        }

        /// <summary>Releases the moment estimates.</summary>
        public void Dispose()
        {
            ExpAvg.Dispose();
            ExpAvgSq.Dispose();
        }
    }
}
