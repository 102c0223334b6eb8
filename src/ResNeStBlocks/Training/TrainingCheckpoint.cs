using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using ResNeStBlocks.Weights;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ResNeStBlocks.Training;

/// <summary>
/// Everything needed to resume training, in one safetensors file: the model's state (<c>model.*</c>), the EMA's
/// (<c>ema.*</c>), the optimizer's state (<c>optimizer</c>: TorchSharp's own serialisation, as bytes), the random
/// generator's state (<c>rng</c>), and the position (epoch, step, best metric) with caller metadata in the header.
/// </summary>
/// <remarks>
/// Saving writes a temporary file beside the target and renames it over the target only once complete, so an
/// interrupted save leaves the previous checkpoint intact. Loading reads and checks the whole file before it
/// changes the model, EMA or optimizer.
/// </remarks>
public static class TrainingCheckpoint
{
    /// <summary>The <c>format</c> metadata value of files written by this class.</summary>
    public const string Format = "resnestblocks.training-checkpoint.v1";

    private const string ModelPrefix = "model.";
    private const string EmaPrefix = "ema.";
    private const string OptimizerKey = "optimizer";
    private const string RngKey = "rng";
    private static readonly string[] ReservedMetadata = { "format", "epoch", "step", "best_metric", "best_epoch", "optimizer_type" };

    /// <summary>Writes a checkpoint atomically.</summary>
    /// <param name="path">The file to create or replace.</param>
    /// <param name="model">The model being trained.</param>
    /// <param name="optimizer">Its optimizer: the library's <see cref="Sgd"/> or <see cref="AdamW"/>, or any TorchSharp managed optimizer.</param>
    /// <param name="position">Epoch, step and best metric.</param>
    /// <param name="ema">The weight average, if the run keeps one.</param>
    /// <param name="metadata">Further strings to keep (model name, class names, ...); the keys <c>format</c>, <c>epoch</c>, <c>step</c>, <c>best_metric</c>, <c>best_epoch</c> and <c>optimizer_type</c> are reserved.</param>
    /// <exception cref="ArgumentException">A metadata key is reserved.</exception>
    public static void Save(string path, nn.Module model, OptimizerHelper optimizer, CheckpointPosition position,
        nn.Module? ema = null, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(position);
        string? reserved = metadata?.Keys.FirstOrDefault(k => ReservedMetadata.Contains(k, StringComparer.Ordinal));
        if (reserved is not null)
            throw new ArgumentException($"Metadata key '{reserved}' is reserved for the checkpoint itself; use another name.", nameof(metadata));

        using var scope = NewDisposeScope();
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (key, value) in model.state_dict())
            tensors[ModelPrefix + key] = value;
        if (ema is not null)
        {
            foreach (var (key, value) in ema.state_dict())
                tensors[EmaPrefix + key] = value;
        }
        tensors[OptimizerKey] = tensor(SerializeOptimizer(optimizer), ScalarType.Byte);
        tensors[RngKey] = random.get_rng_state();

        var header = new Dictionary<string, string>(metadata ?? new Dictionary<string, string>(), StringComparer.Ordinal)
        {
            ["format"] = Format,
            ["epoch"] = position.Epoch.ToString(CultureInfo.InvariantCulture),
            ["step"] = position.Step.ToString(CultureInfo.InvariantCulture),
            ["best_metric"] = position.BestMetric.ToString("R", CultureInfo.InvariantCulture),
            ["best_epoch"] = position.BestEpoch.ToString(CultureInfo.InvariantCulture),
            ["optimizer_type"] = OptimizerType(optimizer),
        };
        string? directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null)
            Directory.CreateDirectory(directory);
        SafeTensors.Save(path, tensors, header);
    }

    /// <summary>Restores a run from a checkpoint: model, optimizer, EMA and random generator.</summary>
    /// <param name="path">The checkpoint.</param>
    /// <param name="model">The model, built as when the checkpoint was saved.</param>
    /// <param name="optimizer">The optimizer, of the same type and groups as when saved.</param>
    /// <param name="ema">The weight average; required when the checkpoint holds one, and vice versa.</param>
    /// <returns>The position to continue from.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a checkpoint of this format, or does not match the optimizer or EMA given.</exception>
    /// <exception cref="StateDictMismatchException">The model's or EMA's keys or shapes differ from the checkpoint's; nothing was changed.</exception>
    public static CheckpointPosition Load(string path, nn.Module model, OptimizerHelper optimizer, nn.Module? ema = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizer);
        var metadata = ReadMetadata(path);
        var tensors = SafeTensors.Load(path);
        try
        {
            if (metadata["optimizer_type"] != OptimizerType(optimizer))
                throw new InvalidDataException(
                    $"{path} holds the state of a {metadata["optimizer_type"]} optimizer, not of the {OptimizerType(optimizer)} given; resume with the optimizer the run used.");
            bool hasEma = tensors.Keys.Any(k => k.StartsWith(EmaPrefix, StringComparison.Ordinal));
            if (hasEma != (ema is not null))
                throw new InvalidDataException(hasEma
                    ? $"{path} holds an EMA of the weights; pass the run's EMA module to resume it."
                    : $"{path} holds no EMA of the weights, but an EMA module was given; resume without one.");
            if (!tensors.TryGetValue(OptimizerKey, out var optimizerState) || !tensors.TryGetValue(RngKey, out var rng))
                throw new InvalidDataException($"{path} lacks the '{OptimizerKey}' or '{RngKey}' entry of a training checkpoint.");

            // Check both modules before changing either, so a mismatch leaves everything as it was.
            var modelState = WithPrefix(tensors, ModelPrefix);
            var emaState = WithPrefix(tensors, EmaPrefix);
            CheckKeys(path, model, modelState, "model");
            if (ema is not null)
                CheckKeys(path, ema, emaState, "EMA");
            StateDictLoader.Load(model, modelState);
            if (ema is not null)
                StateDictLoader.Load(ema, emaState);
            using (var reader = new BinaryReader(new MemoryStream(optimizerState.data<byte>().ToArray())))
                optimizer.load_state_dict(reader);
            var device = model.parameters().FirstOrDefault()?.device;
            if (device is not null)
                optimizer.to(device);
            random.set_rng_state(rng);
            return Position(path, metadata);
        }
        finally
        {
            foreach (var value in tensors.Values)
                value.Dispose();
        }
    }

    /// <summary>Loads only the weights from a checkpoint into a model, for evaluation or deployment.</summary>
    /// <param name="path">The checkpoint.</param>
    /// <param name="model">A model built as the checkpoint's.</param>
    /// <param name="fromEma">Load the EMA's weights instead of the trained model's.</param>
    /// <returns>The checkpoint's position.</returns>
    /// <exception cref="InvalidDataException">The file is not a checkpoint, or holds no EMA when <paramref name="fromEma"/> is set.</exception>
    /// <exception cref="StateDictMismatchException">The model's keys or shapes differ; the model is unchanged.</exception>
    public static CheckpointPosition LoadWeights(string path, nn.Module model, bool fromEma = false)
    {
        ArgumentNullException.ThrowIfNull(model);
        var metadata = ReadMetadata(path);
        var tensors = SafeTensors.Load(path);
        try
        {
            var state = WithPrefix(tensors, fromEma ? EmaPrefix : ModelPrefix);
            if (fromEma && state.Count == 0)
                throw new InvalidDataException($"{path} holds no EMA of the weights; load the model's weights instead.");
            StateDictLoader.Load(model, state);
            return Position(path, metadata);
        }
        finally
        {
            foreach (var value in tensors.Values)
                value.Dispose();
        }
    }

    /// <summary>The checkpoint's header metadata (position and caller strings), without reading any tensor.</summary>
    /// <param name="path">The checkpoint.</param>
    /// <returns>Key to value.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a checkpoint of this format.</exception>
    public static IReadOnlyDictionary<string, string> ReadMetadata(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
            throw new FileNotFoundException($"Checkpoint not found: {path}", path);
        var metadata = SafeTensors.ReadHeader(path).Metadata;
        if (!metadata.TryGetValue("format", out var format) || format != Format)
            throw new InvalidDataException(
                $"{path} is not a training checkpoint (metadata 'format' is '{format ?? "absent"}', expected '{Format}'). A plain weights file loads with LoadWeights on the model.");
        return metadata;
    }

    /// <summary>The position recorded in a checkpoint's metadata.</summary>
    /// <param name="path">The checkpoint.</param>
    /// <returns>Epoch, step and best metric.</returns>
    public static CheckpointPosition ReadPosition(string path) => Position(path, ReadMetadata(path));

    private static CheckpointPosition Position(string path, IReadOnlyDictionary<string, string> metadata)
    {
        try
        {
            return new CheckpointPosition(
                int.Parse(metadata["epoch"], CultureInfo.InvariantCulture),
                long.Parse(metadata["step"], CultureInfo.InvariantCulture),
                double.Parse(metadata["best_metric"], CultureInfo.InvariantCulture),
                int.Parse(metadata["best_epoch"], CultureInfo.InvariantCulture));
        }
        catch (Exception e) when (e is KeyNotFoundException or FormatException or OverflowException)
        {
            throw new InvalidDataException($"{path}: the checkpoint's position metadata is missing or malformed ({e.Message}).", e);
        }
    }

    private static Dictionary<string, Tensor> WithPrefix(Dictionary<string, Tensor> tensors, string prefix) =>
        tensors.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key[prefix.Length..], kv => kv.Value, StringComparer.Ordinal);

    private static void CheckKeys(string path, nn.Module module, Dictionary<string, Tensor> state, string what)
    {
        var expected = module.state_dict();
        var missing = expected.Keys.Where(k => !state.ContainsKey(k)).ToList();
        var unexpected = state.Keys.Where(k => !expected.ContainsKey(k)).ToList();
        var shapes = expected.Keys.Where(k => state.ContainsKey(k) && !state[k].shape.SequenceEqual(expected[k].shape))
            .Select(k => $"{k}: expected [{string.Join(", ", expected[k].shape)}], got [{string.Join(", ", state[k].shape)}]").ToList();
        if (missing.Count + unexpected.Count + shapes.Count > 0)
            throw new StateDictMismatchException($"the {what} restored from {path}", missing, unexpected, shapes);
    }

    /// <summary>The optimizer's full type name: the library's AdamW and TorchSharp's share a short name but not a state format.</summary>
    private static string OptimizerType(OptimizerHelper optimizer) => optimizer.GetType().FullName ?? optimizer.GetType().Name;

    private static byte[] SerializeOptimizer(OptimizerHelper optimizer)
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream))
            optimizer.save_state_dict(writer);
        return stream.ToArray();
    }
}
