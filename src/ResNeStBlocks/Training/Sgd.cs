using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ResNeStBlocks.Training;

/// <summary>
/// Stochastic gradient descent with momentum, dampening, Nesterov momentum and L2 weight decay: PyTorch's
/// <c>torch.optim.SGD</c> (and TorchSharp's <c>optim.SGD</c>) step for step, with every scalar of its native calls held
/// across the call.
/// </summary>
/// <remarks>
/// <para>Per parameter and step, with gradient <c>g</c>: <c>g += weightDecay * p</c>; with momentum, the buffer starts as
/// a copy of <c>g</c> and then becomes <c>momentum * buf + (1 - dampening) * g</c>, and <c>g</c> becomes the buffer (or
/// <c>g + momentum * buf</c> with Nesterov); finally <c>p -= lr * g</c>.</para>
/// <para>Why not TorchSharp's: its 0.107 optimizers pass temporary <c>Scalar</c>s (<c>alpha: lr</c>, <c>mul_(momentum)</c>)
/// that the garbage collector can finalize during the native call, which under GC pressure from other threads fails
/// a step now and then ("Unknown scalar type"). This one holds each scalar in a <c>using</c> for the group's update.</para>
/// <para>It is a TorchSharp optimizer (<see cref="OptimizerHelper"/>): <see cref="torch.optim.Optimizer.ParamGroups"/> sets
/// learning rates (as <see cref="CosineSchedule"/> users do), <see cref="TrainingCheckpoint"/> saves and restores its
/// momentum buffers exactly, and <see cref="MixedPrecisionTrainer"/> takes it. <c>zero_grad</c> sets gradients to
/// none, as PyTorch does by default.</para>
/// </remarks>
public sealed class Sgd : HeldScalarOptimizer<Sgd.Options, Sgd.State>, optim.IMomentum
{
    /// <summary>Creates the optimizer over one group of parameters.</summary>
    /// <param name="parameters">The parameters to train.</param>
    /// <param name="learningRate">Learning rate, positive.</param>
    /// <param name="momentum">Momentum factor, 0 or more (0: none).</param>
    /// <param name="dampening">Dampening of the momentum, 0 or more.</param>
    /// <param name="weightDecay">L2 weight decay, 0 or more.</param>
    /// <param name="nesterov">Nesterov momentum; needs a positive momentum and no dampening.</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    /// <exception cref="ArgumentException">Nesterov is asked for without momentum or with dampening.</exception>
    public Sgd(IEnumerable<Parameter> parameters, double learningRate, double momentum = 0, double dampening = 0, double weightDecay = 0, bool nesterov = false)
        : this(new[] { new ParamGroup(parameters ?? throw new ArgumentNullException(nameof(parameters))) }, learningRate, momentum, dampening, weightDecay, nesterov)
    {
    }

    /// <summary>Creates the optimizer over several groups; a group's unset options take these defaults.</summary>
    /// <param name="groups">The parameter groups.</param>
    /// <param name="learningRate">Default learning rate, positive.</param>
    /// <param name="momentum">Default momentum factor, 0 or more.</param>
    /// <param name="dampening">Default dampening, 0 or more.</param>
    /// <param name="weightDecay">Default L2 weight decay, 0 or more.</param>
    /// <param name="nesterov">Default Nesterov switch.</param>
    /// <exception cref="ArgumentOutOfRangeException">A value (default or a group's) is out of range.</exception>
    /// <exception cref="ArgumentException">A group asks for Nesterov without momentum or with dampening.</exception>
    public Sgd(IEnumerable<ParamGroup> groups, double learningRate, double momentum = 0, double dampening = 0, double weightDecay = 0, bool nesterov = false)
        : base(new Options { LearningRate = learningRate, Momentum = momentum, Dampening = dampening, WeightDecay = weightDecay, Nesterov = nesterov },
            groups ?? throw new ArgumentNullException(nameof(groups)))
    {
    }

    /// <summary>The default momentum (PyTorch's <c>defaults['momentum']</c>); groups keep their own.</summary>
    public double Momentum
    {
        get => Defaults.Momentum!.Value;
        set => Defaults.Momentum = value;
    }

    private protected override void TakeDefaults(Options options)
    {
        options.Momentum ??= Defaults.Momentum;
        options.Dampening ??= Defaults.Dampening;
        options.WeightDecay ??= Defaults.WeightDecay;
        options.Nesterov ??= Defaults.Nesterov;
    }

    private protected override State CreateState(Parameter parameter) => new(parameter);

    private protected override void Update(IEnumerable<Parameter> parameters, Options options)
    {
        double momentum = options.Momentum!.Value;
        double weightDecay = options.WeightDecay!.Value;
        bool nesterov = options.Nesterov!.Value;
        using Scalar negativeRate = -options.LearningRate!.Value;
        using Scalar decay = weightDecay;
        using Scalar momentumFactor = momentum;
        using Scalar undamped = 1 - options.Dampening!.Value;
        foreach (var parameter in parameters)
        {
            var gradient = parameter.grad;
            if (gradient is null)
                continue;
            var state = StateOf(parameter);
            var direction = weightDecay != 0 ? gradient.add(parameter, decay) : gradient;
            if (momentum != 0)
            {
                if (state.MomentumBuffer is null)
                    state.MomentumBuffer = direction.clone().detach().DetachFromDisposeScope();
                else
                    state.MomentumBuffer.mul_(momentumFactor).add_(direction, undamped);
                direction = nesterov ? direction.add(state.MomentumBuffer, momentumFactor) : state.MomentumBuffer;
            }
            parameter.add_(direction, negativeRate);
        }
    }

    private protected override void Validate(Options options)
    {
        OptimizerArguments.Positive(options.LearningRate!.Value, "learningRate");
        OptimizerArguments.NonNegative(options.Momentum!.Value, "momentum");
        OptimizerArguments.NonNegative(options.Dampening!.Value, "dampening");
        OptimizerArguments.NonNegative(options.WeightDecay!.Value, "weightDecay");
        if (options.Nesterov!.Value && (options.Momentum.Value <= 0 || options.Dampening.Value != 0))
            throw new ArgumentException(
                $"Nesterov momentum needs a positive momentum and no dampening, got momentum {options.Momentum.Value} and dampening {options.Dampening.Value}.",
                "nesterov");
    }

    /// <summary>A group's settings; unset values take the optimizer's defaults.</summary>
    public sealed class Options : OptimizerOptions
    {
        /// <summary>Momentum factor.</summary>
        public double? Momentum { get; set; }

        /// <summary>Dampening of the momentum.</summary>
        public double? Dampening { get; set; }

        /// <summary>L2 weight decay.</summary>
        public double? WeightDecay { get; set; }

        /// <summary>Nesterov momentum.</summary>
        public bool? Nesterov { get; set; }

        /// <inheritdoc />
        public override void SaveStateDict(BinaryWriter writer)
        {
            base.SaveStateDict(writer);
            writer.Write(Momentum!.Value);
            writer.Write(Dampening!.Value);
            writer.Write(WeightDecay!.Value);
            writer.Write(Nesterov!.Value);
        }

        /// <inheritdoc />
        public override void LoadStateDict(BinaryReader reader)
        {
            base.LoadStateDict(reader);
            Momentum = reader.ReadDouble();
            Dampening = reader.ReadDouble();
            WeightDecay = reader.ReadDouble();
            Nesterov = reader.ReadBoolean();
        }

        /// <inheritdoc />
        public override void LoadStateDict(OptimizerOptions source)
        {
            base.LoadStateDict(source);
            var other = (Options)source;
            Momentum = other.Momentum;
            Dampening = other.Dampening;
            WeightDecay = other.WeightDecay;
            Nesterov = other.Nesterov;
        }
    }

    /// <summary>A group of parameters with its own settings.</summary>
    public sealed class ParamGroup : ParamGroup<Options>
    {
        /// <summary>Creates a group; null settings take the optimizer's defaults.</summary>
        /// <param name="parameters">The group's parameters.</param>
        /// <param name="learningRate">Learning rate.</param>
        /// <param name="momentum">Momentum factor.</param>
        /// <param name="dampening">Dampening.</param>
        /// <param name="weightDecay">L2 weight decay.</param>
        /// <param name="nesterov">Nesterov momentum.</param>
        public ParamGroup(IEnumerable<Parameter> parameters, double? learningRate = null, double? momentum = null, double? dampening = null,
            double? weightDecay = null, bool? nesterov = null)
            : base(parameters, new Options { LearningRate = learningRate, Momentum = momentum, Dampening = dampening, WeightDecay = weightDecay, Nesterov = nesterov })
        {
        }
    }

    /// <summary>A parameter's momentum buffer (none until its first step with momentum).</summary>
    public sealed class State : OptimizerState, IDisposable
    {
        internal State(Parameter parameter) : base(parameter)
        {
        }

        /// <summary>The momentum buffer, or null.</summary>
        public Tensor? MomentumBuffer { get; internal set; }

        /// <inheritdoc />
        public override void Initialize(OptimizerOptions options) => MomentumBuffer = null;

        /// <inheritdoc />
        public override void SaveStateDict(BinaryWriter writer) => SaveConditionalStateTensor(writer, MomentumBuffer);

        /// <inheritdoc />
        public override void LoadStateDict(BinaryReader reader)
        {
            var buffer = MomentumBuffer;
            LoadConditionalStateTensor(reader, ref buffer, _parameter.device);
            MomentumBuffer = buffer?.DetachFromDisposeScope();
        }

        /// <inheritdoc />
        public override void LoadStateDict(OptimizerState source)
        {
            var other = (State)source;
            MomentumBuffer?.Dispose();
            MomentumBuffer = other.MomentumBuffer?.to(_parameter.device, copy: true).DetachFromDisposeScope();
        }

        /// <inheritdoc />
        public override bool ApproximatelyEquals(OptimizerState other) =>
            other is State state && (MomentumBuffer is null ? state.MomentumBuffer is null
                : state.MomentumBuffer is not null && MomentumBuffer.allclose(state.MomentumBuffer));

        /// <inheritdoc />
        public override void to(Device device) => MomentumBuffer = StateTensors.Moved(MomentumBuffer, device);

        /// <summary>Releases the buffer.</summary>
        public void Dispose()
        {
            MomentumBuffer?.Dispose();
            MomentumBuffer = null;
        }
    }
}
