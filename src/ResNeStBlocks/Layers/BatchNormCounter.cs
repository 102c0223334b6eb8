using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ResNeStBlocks.Layers;

/// <summary>
/// Runs BatchNorms in training without the temporary Scalar of TorchSharp 0.107's <c>BatchNorm.forward</c>, which adds 1
/// to <c>num_batches_tracked</c> through an implicit <c>Scalar</c> that the finalizer can free during the native call
/// (libtorch then reads freed memory: "Unknown scalar type", or "For integral input tensors, argument alpha must not be
/// a floating point number").
/// </summary>
/// <remarks>
/// For the call, each counter is taken out of its BatchNorm, so that TorchSharp's forward (hooks included) skips the
/// increment; its running averages use the BatchNorm's momentum as before. The counter goes back afterwards and is
/// incremented here with a held Scalar. A BatchNorm without momentum (cumulative averages) needs the counter inside the
/// forward and runs unchanged. Training is not thread-safe in TorchSharp, and neither is this.
/// </remarks>
internal static class BatchNormCounter
{
    /// <summary>Calls <paramref name="module"/>, which may be a BatchNorm or a <see cref="Sequential"/> holding some.</summary>
    public static Tensor Call(nn.Module<Tensor, Tensor> module, Tensor input)
    {
        if (!module.training)
            return module.call(input);
        var counted = Counted(module);
        if (counted.Count == 0)
            return module.call(input);
        var counters = new Tensor[counted.Count];
        for (int i = 0; i < counters.Length; i++)
        {
            ref var slot = ref Counter(counted[i]);
            counters[i] = slot!;
            slot = null;
        }
        try
        {
            return module.call(input);
        }
        finally
        {
            for (int i = 0; i < counters.Length; i++)
            {
                Counter(counted[i]) = counters[i];
                counters[i].add_(HeldScalars.One, HeldScalars.One);
            }
        }
    }

    /// <summary>The BatchNorms that this call runs in training with a counter: the module itself, or a sequence's children.</summary>
    private static List<BatchNorm> Counted(nn.Module<Tensor, Tensor> module)
    {
        var counted = new List<BatchNorm>(1);
        IEnumerable<nn.Module> candidates = module is Sequential sequence ? sequence.children() : new[] { module };
        foreach (var candidate in candidates)
        {
            if (candidate is BatchNorm { training: true, track_running_stats: true, momentum: not null, num_batches_tracked: not null } norm)
                counted.Add(norm);
        }
        return counted;
    }

    /// <summary>TorchSharp's field behind <c>num_batches_tracked</c>; its setter would dispose the tensor it replaces.</summary>
    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "_num_batches_tracked")]
    private static extern ref Tensor? Counter(NormBase norm);
}
