using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using ResNeStBlocks.Inference;
using ResNeStBlocks.Layers;
using static TorchSharp.torch;

namespace ResNeStBlocks.Weights;

/// <summary>The outcome of a non-strict load: what the module kept and what the file carried in vain.</summary>
/// <param name="MissingKeys">Module keys the state dict did not provide (left unchanged).</param>
/// <param name="UnexpectedKeys">State-dict keys the module does not have (ignored).</param>
/// <param name="SkippedKeys">Keys excluded by the caller's filter (left unchanged).</param>
public sealed record LoadResult(IReadOnlyList<string> MissingKeys, IReadOnlyList<string> UnexpectedKeys, IReadOnlyList<string> SkippedKeys)
{
    /// <summary>The three key lists, written out: <c>LoadResult { MissingKeys = [fc.weight, fc.bias], UnexpectedKeys = [], SkippedKeys = [] }</c>.</summary>
    /// <returns>The description.</returns>
    public override string ToString() =>
        $"LoadResult {{ MissingKeys = [{string.Join(", ", MissingKeys)}], UnexpectedKeys = [{string.Join(", ", UnexpectedKeys)}], SkippedKeys = [{string.Join(", ", SkippedKeys)}] }}";
}

/// <summary>
/// Loads a name-to-tensor map into a module's parameters and buffers by key, atomically: every key,
/// shape and dtype is checked before the first value is copied, so a failed load changes nothing.
/// </summary>
/// <remarks>
/// <para>Dtype conversion: a floating-point tensor loads into a floating-point parameter or buffer of any width,
/// converted by torch's cast (<c>Tensor.copy_</c>): float16 and bfloat16 widen to float32 or float64 exactly,
/// and narrowing (float32 to float16 or bfloat16, float64 to float32) rounds to the nearest representable value,
/// ties to even; values beyond the target's range become infinities, and NaN stays NaN. Integer and bool buffers
/// (such as BatchNorm's <c>num_batches_tracked</c>) accept only their own dtype. Values are copied onto the
/// module's device.</para>
/// <para>Thread safety: loading mutates the module, so nothing else may use that module (neither forward nor
/// another load) while it runs; loads into distinct module instances on distinct threads are safe. Once
/// loaded, separate module instances may run on separate threads freely; one instance may be shared by
/// concurrent callers only for forward passes in eval mode under <c>torch.no_grad()</c>, never for training
/// (which updates BatchNorm running statistics and gradients) or loading.</para>
/// </remarks>
public static class StateDictLoader
{
    /// <summary>Loads <paramref name="source"/> into <paramref name="module"/>.</summary>
    /// <param name="module">The module to update.</param>
    /// <param name="source">Key to tensor, with the module's state-dict keys.</param>
    /// <param name="strict">When true, any missing or unexpected key fails the load; mismatched shapes or dtypes always do.</param>
    /// <param name="skip">Keys for which this returns true are neither loaded nor reported missing or unexpected (for example a classifier head being replaced).</param>
    /// <returns>The keys that were missing, unexpected or skipped.</returns>
    /// <exception cref="StateDictMismatchException">Keys, shapes or dtypes do not fit; the module is unchanged.</exception>
    /// <exception cref="InvalidOperationException">The module's BatchNorms have been folded for inference (see <see cref="InferencePreparation"/>); the module is unchanged.</exception>
    public static LoadResult Load(nn.Module module, IReadOnlyDictionary<string, Tensor> source, bool strict = true, Func<string, bool>? skip = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(source);
        if (InferencePreparation.IsBatchNormFolded(module))
            throw new InvalidOperationException(
                $"{ModuleNames.Of(module)} has had its BatchNorm layers folded into its convolutions, so its keys are no longer timm's. " +
                "Load weights into an unfolded model, then fold it.");
        var target = module.state_dict();
        var skipped = new List<string>();
        var skippedSet = new HashSet<string>(StringComparer.Ordinal);
        var missing = new List<string>();
        var mismatchedKeys = new List<string>();
        var mismatches = new List<string>();
        foreach (var (key, destination) in target)
        {
            if (skip?.Invoke(key) == true) { skipped.Add(key); skippedSet.Add(key); continue; }
            if (!source.TryGetValue(key, out var value)) { missing.Add(key); continue; }
            string? problem = !value.shape.SequenceEqual(destination.shape)
                ? $"expected shape [{string.Join(", ", destination.shape)}], got [{string.Join(", ", value.shape)}]"
                : !Convertible(value.dtype, destination.dtype) ? $"expected {destination.dtype}, got {value.dtype}" : null;
            if (problem is null) continue;
            mismatchedKeys.Add(key);
            mismatches.Add($"{key}: {problem}");
        }
        var unexpected = new List<string>();
        foreach (var key in source.Keys)
        {
            if (target.ContainsKey(key)) continue;
            if (skip?.Invoke(key) == true) { skipped.Add(key); continue; }
            unexpected.Add(key);
        }

        if (mismatches.Count > 0 || (strict && (missing.Count > 0 || unexpected.Count > 0)))
        {
            int loadable = target.Count - skippedSet.Count;
            int offered = source.Keys.Count(key => skip?.Invoke(key) != true);
            throw StateDictDiagnosis.Exception(module, source, loadable, offered, loadable - missing.Count - mismatches.Count,
                missing, unexpected, mismatchedKeys, mismatches);
        }

        using (no_grad())
        {
            foreach (var (key, destination) in target)
                if (!skippedSet.Contains(key) && source.TryGetValue(key, out var value))
                    destination.copy_(value);
        }
        return new LoadResult(missing, unexpected, skipped);
    }

    /// <summary>
    /// Reads a weights file and loads it into <paramref name="module"/> (see <see cref="Load(nn.Module, IReadOnlyDictionary{string, Tensor}, bool, Func{string, bool})"/>).
    /// The format is told by the file's first bytes: a PyTorch checkpoint (<c>torch.save</c>'s zip archive or legacy
    /// pickle stream, read by <see cref="PyTorchCheckpoint"/>), otherwise safetensors.
    /// </summary>
    /// <param name="module">The module to update.</param>
    /// <param name="path">A safetensors file or a PyTorch state dict (<c>.pth</c>) with the module's keys.</param>
    /// <param name="strict">When true, any missing or unexpected key fails the load.</param>
    /// <param name="skip">Keys to leave alone.</param>
    /// <returns>The keys that were missing, unexpected or skipped.</returns>
    /// <exception cref="WeightsFormatException">The file is malformed (<see cref="SafeTensorsFormatException"/> or <see cref="PyTorchCheckpointFormatException"/>); the module is unchanged.</exception>
    /// <exception cref="StateDictMismatchException">Keys, shapes or dtypes do not fit; the module is unchanged.</exception>
    /// <exception cref="InvalidOperationException">The module's BatchNorms have been folded for inference; the module is unchanged.</exception>
    public static LoadResult LoadFile(nn.Module module, string path, bool strict = true, Func<string, bool>? skip = null)
    {
        var tensors = WeightsFile.Load(path);
        try
        {
            return Load(module, tensors, strict, skip);
        }
        finally
        {
            foreach (var tensor in tensors.Values)
                tensor.Dispose();
        }
    }

    private static bool Convertible(ScalarType from, ScalarType to) =>
        from == to || (from.IsFloatingPoint() && to.IsFloatingPoint());
}
