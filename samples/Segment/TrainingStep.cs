using System;
using System.Collections.Generic;
using System.Linq;
using ResNeStBlocks.Dense;
using ResNeStBlocks.Training;
using ResNeStBlocks.Vision;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ResNeStBlocks.Samples.Segment;

/// <summary>
/// One optimizer step of the segmentation loss (torchvision's: cross-entropy of the main output plus
/// <c>auxWeight</c> times that of the auxiliary output, pixels of the ignore index left out), in float32 or in mixed
/// precision.
/// </summary>
/// <remarks>
/// <para>The float32 <see cref="Model"/> always holds the trained weights: it is what the EMA follows, what is evaluated
/// and what checkpoints store. In float32 the optimizer updates it directly.</para>
/// <para>In mixed precision a twin of the model computes in bfloat16 or float16 (BatchNorm float32) through the
/// library's <see cref="MixedPrecisionTrainer"/>, whose optimizer updates float32 master weights; after each step the
/// masters and the BatchNorm statistics are copied into <see cref="Model"/>. A checkpoint thus stores the masters
/// exactly, and a resumed run rebuilds the twin from them: it continues exactly as the uninterrupted run.</para>
/// </remarks>
public sealed class TrainingStep : IDisposable
{
    private static readonly Scalar One = 1;
    private readonly Scalar auxWeight;
    private readonly SegmentationModel? twin;
    private readonly MixedPrecisionTrainer? mixed;
    private readonly List<(Parameter Model, Parameter Master)> masters = new();
    private readonly List<(Tensor Model, Tensor Twin)> buffers = new();

    /// <summary>Creates the step for <paramref name="model"/>, whose weights it trains.</summary>
    /// <param name="model">The float32 model on its device (load resumed weights before creating the step).</param>
    /// <param name="createTwin">Builds a model of the same architecture (for mixed precision).</param>
    /// <param name="dtype">Float32, or BFloat16 / Float16 for mixed precision.</param>
    /// <param name="createOptimizer">Creates the optimizer over weight-decay groups of the parameters it will update.</param>
    /// <param name="auxWeight">Weight of the auxiliary loss.</param>
    public TrainingStep(SegmentationModel model, Func<SegmentationModel> createTwin, ScalarType dtype,
        Func<WeightDecayGroups, OptimizerHelper> createOptimizer, double auxWeight)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(createTwin);
        ArgumentNullException.ThrowIfNull(createOptimizer);
        Model = model;
        DType = dtype;
        this.auxWeight = auxWeight;
        var groups = WeightDecayGroups.Split(model);
        if (dtype == ScalarType.Float32)
        {
            Optimizer = createOptimizer(groups);
            return;
        }

        twin = createTwin();
        var device = model.parameters().First().device;
        twin.to(device);
        twin.load_state_dict(model.state_dict());
        OptimizerHelper? created = null;
        // The trainer hands over the float32 masters in the order of the twin's parameters; the names (which the
        // conversion keeps) pair each master with the model's parameter, so the weight-decay groups are the model's.
        mixed = new MixedPrecisionTrainer(twin, dtype, parameters =>
        {
            var named = twin.named_parameters().Where(p => p.parameter.requires_grad).Select(p => p.name).Zip(parameters)
                .ToDictionary(p => p.First, p => p.Second, StringComparer.Ordinal);
            foreach (var (name, parameter) in model.named_parameters())
                masters.Add((parameter, named[name]));
            created = createOptimizer(new WeightDecayGroups(
                groups.NoDecay.Select(p => (p.Name, named[p.Name])).ToList(), groups.Decay.Select(p => (p.Name, named[p.Name])).ToList()));
            return created;
        }, dtype == ScalarType.Float16 ? new DynamicLossScaler() : null);
        Optimizer = created!;
        var twinBuffers = twin.named_buffers().ToDictionary(b => b.name, b => b.buffer, StringComparer.Ordinal);
        buffers.AddRange(model.named_buffers().Select(b => (b.buffer, twinBuffers[b.name])));
    }

    /// <summary>The float32 model that holds the trained weights.</summary>
    public SegmentationModel Model { get; }

    /// <summary>The dtype the forward and backward run in.</summary>
    public ScalarType DType { get; }

    /// <summary>The optimizer (over <see cref="Model"/>'s parameters in float32, over the masters in mixed precision); set its rates per step and checkpoint it.</summary>
    public OptimizerHelper Optimizer { get; }

    /// <summary>Trains on one batch.</summary>
    /// <param name="images">Normalised float32 images <c>[N, 3, H, W]</c> on the model's device.</param>
    /// <param name="masks">Class per pixel, int64 <c>[N, H, W]</c> (255 = ignore).</param>
    /// <returns>The detached loss (float32 scalar) and the main output's predicted class per pixel.</returns>
    public (Tensor Loss, Tensor Predicted) Run(Tensor images, Tensor masks)
    {
        ArgumentNullException.ThrowIfNull(images);
        using var scope = NewDisposeScope();
        Tensor? predicted = null;
        Tensor Loss(SegmentationModel network, Tensor input)
        {
            using var output = network.ForwardWithAux(input);
            var main = output.Out.to(ScalarType.Float32);
            // Out of every scope: the mixed-precision step disposes what its own scope holds when it returns.
            predicted = main.argmax(1).detach().DetachFromDisposeScope();
            var loss = nn.functional.cross_entropy(main, masks, ignore_index: SegmentationFolder.IgnoreIndex);
            if (output.Aux is { } aux)
                loss = loss.add(nn.functional.cross_entropy(aux.to(ScalarType.Float32), masks, ignore_index: SegmentationFolder.IgnoreIndex), auxWeight);
            return loss;
        }

        Tensor result;
        if (mixed is null)
        {
            Model.zero_grad();
            var loss = Loss(Model, images);
            loss.backward();
            Optimizer.step();
            result = loss.detach();
        }
        else
        {
            result = mixed.Step(() => Loss(twin!, images.to(DType))).Loss;
            using (no_grad())
            {
                foreach (var (parameter, master) in masters)
                    parameter.copy_(master);
                foreach (var (buffer, source) in buffers)
                    buffer.copy_(source);
            }
        }
        scope.Attach(predicted!);
        return (result.MoveToOuterDisposeScope(), predicted!.MoveToOuterDisposeScope());
    }

    /// <inheritdoc />
    public void Dispose()
    {
        auxWeight.Dispose();
        if (mixed is not null)
        {
            mixed.Dispose();   // disposes the optimizer and the masters
            twin!.Dispose();
        }
        else
        {
            Optimizer.Dispose();
        }
    }
}
