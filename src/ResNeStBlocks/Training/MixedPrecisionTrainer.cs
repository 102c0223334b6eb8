using System;
using System.Collections.Generic;
using System.Linq;
using ResNeStBlocks.Inference;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ResNeStBlocks.Training;

/// <summary>
/// Mixed-precision training without autocast (which TorchSharp lacks): the model computes in bfloat16 or float16
/// with its BatchNorms in float32, and the optimizer updates float32 master copies of the weights, which are copied
/// back into the model after each step.
/// </summary>
/// <remarks>
/// <para>Why master weights: an update of 1e-4 relative to a weight is below bfloat16's resolution (8 significant
/// bits) and would be lost; accumulated in float32 and rounded once per step, it is kept. BatchNorm stays float32
/// (as in <see cref="HalfPrecision"/>): its parameters are their own masters and its statistics keep float32
/// precision.</para>
/// <para>float16 needs loss scaling (<see cref="DynamicLossScaler"/>): its smallest normal value is 6e-5, and small
/// gradients would flush to zero. A scaled step checks its gradients for infinities and NaN, one host-device
/// synchronisation per step; bfloat16 steps need neither scaling nor the check and never synchronise.</para>
/// <para>Optimizer state (momentum, Adam moments) lives in float32 with the masters. The trainer owns the optimizer
/// and the master copies; dispose it when done. Change learning rates through <see cref="Optimizer"/>.</para>
/// </remarks>
public sealed class MixedPrecisionTrainer : IDisposable
{
    private readonly nn.Module model;
    private readonly List<(Parameter Model, Parameter Master)> weights;
    private bool disposed;

    /// <summary>Converts <paramref name="model"/> to <paramref name="dtype"/> (BatchNorms float32), in training mode, and creates the optimizer over float32 masters.</summary>
    /// <param name="model">A network whose parameters live in leaf modules (all of this library's do), on any device.</param>
    /// <param name="dtype"><see cref="ScalarType.BFloat16"/> or <see cref="ScalarType.Float16"/>.</param>
    /// <param name="createOptimizer">Creates the optimizer over the given float32 parameters, for example <c>p =&gt; new Sgd(p, 0.1, momentum: 0.9)</c>.</param>
    /// <param name="scaler">Loss scaling; required for float16 (pass <c>new DynamicLossScaler()</c>), optional for bfloat16.</param>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> or <paramref name="createOptimizer"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="dtype"/> is not a half-precision type, float16 is asked for without a scaler,
    /// or the model cannot be converted (see <see cref="HalfPrecision.ToHalfPrecision"/>).</exception>
    public MixedPrecisionTrainer(nn.Module model, ScalarType dtype, Func<IEnumerable<Parameter>, optim.Optimizer> createOptimizer,
        DynamicLossScaler? scaler = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(createOptimizer);
        if (dtype is not (ScalarType.BFloat16 or ScalarType.Float16))
            throw new ArgumentException($"dtype must be BFloat16 or Float16, got {dtype}.", nameof(dtype));
        if (dtype == ScalarType.Float16 && scaler is null)
            throw new ArgumentException(
                "float16 training needs loss scaling: pass a DynamicLossScaler (small gradients flush to zero in float16).", nameof(scaler));

        // Masters are cloned before the conversion, from the float32 weights, so no precision is lost at the start.
        // The conversion may re-create parameter objects, so pairs are made afterwards, by position.
        List<Parameter> originals;
        using (no_grad())
            originals = model.parameters().Select(p => new Parameter(p.detach().to(ScalarType.Float32, copy: true), p.requires_grad)).ToList();
        HalfPrecision.ToHalfPrecision(model, dtype);
        model.train();
        weights = new List<(Parameter, Parameter)>(originals.Count);
        foreach (var (converted, original) in model.parameters().Zip(originals))
        {
            // Parameters that stayed float32 (BatchNorm) are their own masters.
            if (converted.dtype == ScalarType.Float32)
            {
                original.Dispose();
                weights.Add((converted, converted));
            }
            else
            {
                weights.Add((converted, original));
            }
        }

        this.model = model;
        DType = dtype;
        Scaler = scaler;
        Optimizer = createOptimizer(weights.Select(w => w.Master).Where(m => m.requires_grad).ToList());
    }

    /// <summary>The dtype the model computes in.</summary>
    public ScalarType DType { get; }

    /// <summary>The optimizer over the float32 master weights.</summary>
    public optim.Optimizer Optimizer { get; }

    /// <summary>The loss scaler, or null (bfloat16 without scaling).</summary>
    public DynamicLossScaler? Scaler { get; }

    /// <summary>
    /// One training step: clears the gradients, computes the loss, runs the scaled backward pass, moves the unscaled
    /// gradients to the float32 masters, lets the optimizer step (unless the scaler skips it) and copies the updated
    /// masters back into the model.
    /// </summary>
    /// <param name="computeLoss">Runs the model on a batch (inputs in <see cref="DType"/>) and returns a scalar loss; computing the loss
    /// in float32 (<c>logits.to(ScalarType.Float32)</c>) keeps its softmax exact.</param>
    /// <returns>The detached loss and whether the weights changed.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="computeLoss"/> is null.</exception>
    /// <exception cref="ObjectDisposedException">The trainer was disposed.</exception>
    public MixedPrecisionStep Step(Func<Tensor> computeLoss)
    {
        ArgumentNullException.ThrowIfNull(computeLoss);
        ObjectDisposedException.ThrowIf(disposed, this);
        double scale = Scaler?.Scale ?? 1;
        using var scope = NewDisposeScope();
        using var scaleScalar = scale.ToScalar();
        using var unscale = (1 / scale).ToScalar();
        model.zero_grad();
        ClearMasterGradients();
        var loss = computeLoss();
        (scale == 1 ? loss : loss.mul(scaleScalar)).backward();

        using (no_grad())
        {
            foreach (var (weight, master) in weights)
            {
                var grad = weight.grad;
                if (grad is null)
                    continue;
                if (ReferenceEquals(weight, master))
                {
                    if (scale != 1)
                        grad.mul_(unscale);
                }
                else
                {
                    master.grad = scale == 1 ? grad.to(ScalarType.Float32) : grad.to(ScalarType.Float32).mul_(unscale);
                }
            }
            bool applied = Scaler is null || Scaler.Update(DynamicLossScaler.AllFinite(weights.Select(w => w.Master.grad)));
            if (applied)
            {
                Optimizer.step();
                foreach (var (weight, master) in weights)
                {
                    if (!ReferenceEquals(weight, master))
                        weight.copy_(master);
                }
            }
            return new MixedPrecisionStep(loss.detach().MoveToOuterDisposeScope(), applied, scale);
        }
    }

    /// <summary>Releases the optimizer and the float32 master copies (not the model).</summary>
    public void Dispose()
    {
        if (disposed)
            return;
        disposed = true;
        Optimizer.Dispose();
        foreach (var (weight, master) in weights)
        {
            if (!ReferenceEquals(weight, master))
                master.Dispose();
        }
    }

    private void ClearMasterGradients()
    {
        foreach (var (weight, master) in weights)
        {
            if (!ReferenceEquals(weight, master))
                master.grad = null;
        }
    }
}
