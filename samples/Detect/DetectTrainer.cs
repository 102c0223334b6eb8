using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using ResNeStBlocks.Detection.Models;
using ResNeStBlocks.Samples.Data;
using ResNeStBlocks.Samples.Progress;
using ResNeStBlocks.Samples.Training;
using ResNeStBlocks.Training;
using ResNeStBlocks.Vision;
using TorchSharp;
using Parameter = TorchSharp.Modules.Parameter;
using OptimizerHelper = TorchSharp.Modules.OptimizerHelper;
using static TorchSharp.torch;

namespace ResNeStBlocks.Samples.Detect;

/// <summary>What a training run ends with.</summary>
/// <param name="Rows">Every epoch's row.</param>
/// <param name="BestEpoch">The epoch of the best AP.</param>
/// <param name="BestAP">Its AP.</param>
/// <param name="BestAP50">Its AP50.</param>
/// <param name="Elapsed">Wall time of this process's training.</param>
public sealed record DetectResult(IReadOnlyList<DetectRow> Rows, int BestEpoch, double BestAP, double BestAP50, TimeSpan Elapsed);

/// <summary>
/// torchvision's detection reference loop: per step the images (flipped at random) and targets through
/// <see cref="Detector.Losses"/>, the summed loss backward, one optimizer step with the warm-up + multi-step rate; per
/// epoch the evaluation with <see cref="DetectEvaluation"/> (of the EMA when there is one), metrics.csv, the charts, and
/// the last and best checkpoints. The order and the flips come from the seed, epoch and position, and the checkpoint
/// keeps the weights, optimizer state, EMA and torch's random state, so a resumed run repeats the uninterrupted one.
/// </summary>
public sealed class DetectTrainer
{
    private static readonly Scalar One = 1;
    private readonly DetectOptions options;
    private readonly DetectionData data;
    private readonly TextWriter output;
    private readonly ITrainingObserver observer;

    /// <summary>Prepares a run.</summary>
    /// <param name="options">The options.</param>
    /// <param name="data">The data.</param>
    /// <param name="output">Headings and summaries.</param>
    /// <param name="observer">Progress.</param>
    public DetectTrainer(DetectOptions options, DetectionData data, TextWriter output, ITrainingObserver observer)
    {
        this.options = options;
        this.data = data;
        this.output = output;
        this.observer = observer;
    }

    /// <summary>What the checkpoints record, which a resume and a prediction read back.</summary>
    public IReadOnlyDictionary<string, string> Metadata(DetectionOptions model) => new Dictionary<string, string>
    {
        ["model"] = options.Model,
        ["classes"] = string.Join("\n", data.Classes.Names.Skip(1)),
        ["min_size"] = model.MinSize.ToString(CultureInfo.InvariantCulture),
        ["max_size"] = model.MaxSize.ToString(CultureInfo.InvariantCulture),
        ["seed"] = options.Seed.ToString(CultureInfo.InvariantCulture),
        ["batch_size"] = options.BatchSize.ToString(CultureInfo.InvariantCulture),
        ["optimizer"] = options.Optimizer,
        ["ema"] = options.EmaDecay.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>Trains, evaluates every epoch and writes the outputs.</summary>
    /// <returns>The run's figures.</returns>
    public DetectResult Run()
    {
        var clock = Stopwatch.StartNew();
        Directory.CreateDirectory(options.OutputDirectory);
        var device = CPU;
        random.manual_seed(options.Seed);
        var detectionOptions = DetectModelFactory.Options(options.Model, options.MinSize, options.MaxSize);
        using var model = DetectModelFactory.Create(options.Model, data.Classes.Count, detectionOptions);
        bool masks = model is MaskRcnn;
        if (options.Pretrained is not null && options.ResumePath is null)
            LoadPretrained(model);
        if (options.ExportOnnx)
            DetectExport.CheckExportable(model);
        model.to(device);
        var groups = WeightDecayGroups.Split(model);
        var trainable = groups.Decay.Where(p => p.Parameter.requires_grad).Select(p => p.Parameter).ToArray();
        var untouched = groups.NoDecay.Where(p => p.Parameter.requires_grad).Select(p => p.Parameter).ToArray();
        using var optimizer = CreateOptimizer(trainable, untouched);
        using var ema = options.EmaDecay > 0
            ? new ModelEma<Detector>(model, () => DetectModelFactory.Create(options.Model, data.Classes.Count, detectionOptions), new EmaOptions(options.EmaDecay))
            : null;
        int steps = Math.Max(1, data.Train.Count / options.BatchSize);
        var schedule = new WarmupMultiStepSchedule(options.PeakLearningRate, steps, options.MilestonesInEffect);
        var metadata = Metadata(detectionOptions);
        var position = new CheckpointPosition(0, 0, double.NegativeInfinity, 0);
        var rows = new List<DetectRow>();
        if (options.ResumePath is not null)
        {
            var saved = TrainingCheckpoint.ReadMetadata(options.ResumePath);
            foreach (var key in new[] { "model", "classes", "min_size", "max_size", "seed", "batch_size", "optimizer", "ema" })
                if (!saved.TryGetValue(key, out var value) || value != metadata[key])
                    throw new ArgumentException(
                        $"--resume: {options.ResumePath} was written with {key} '{(saved.TryGetValue(key, out var v) ? v : "?")}', this run has '{metadata[key]}'; resume with the same options.");
            position = TrainingCheckpoint.Load(options.ResumePath, model, optimizer, ema?.Module);
            rows = DetectOutputs.ReadMetrics(options.OutputDirectory, position.Epoch);
            output.WriteLine($"Resumed from {options.ResumePath} at epoch {position.Epoch} (best AP {position.BestMetric:0.000} at epoch {position.BestEpoch}).");
        }
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{options.Model} on {data.Layout} '{options.DataDirectory}': {data.Classes.Count - 1} classes, {data.Train.Count} train / {data.Val.Count} val images ({(data.GivenSplit ? "split given" : $"split drawn with seed {options.Seed}")}), {options.Optimizer} lr {options.PeakLearningRate:g3}, batch {options.BatchSize}, {options.Epochs} epochs"));
        long step = position.Step;
        var flip = new HorizontalFlip(options.FlipProbability);
        for (int epoch = position.Epoch + 1; epoch <= options.Epochs; epoch++)
        {
            var epochClock = Stopwatch.StartNew();
            model.train();
            observer.EpochStarted(epoch, options.Epochs, steps);
            var order = Enumerable.Range(0, data.Train.Count).ToArray();
            new Random(SeedMixer.Mix(options.Seed, epoch, -1)).Shuffle(order);
            var sums = new Dictionary<string, double>();
            double total = 0, rate = 0;
            for (int s = 0; s < steps; s++)
            {
                using var scope = NewDisposeScope();
                rate = schedule.At(step);
                foreach (var group in optimizer.ParamGroups)
                    group.LearningRate = rate;
                var images = new Tensor[options.BatchSize];
                var targets = new DetectionTarget[options.BatchSize];
                for (int b = 0; b < options.BatchSize; b++)
                {
                    int position0 = s * options.BatchSize + b;
                    var item = data.Train[order[position0]];
                    var sample = new PairedSample(DetectionData.LoadImage(item.ImagePath), item.Target(masks));
                    var flipped = flip.Apply(sample, new Random(SeedMixer.Mix(options.Seed, epoch, position0)));
                    images[b] = flipped.Image.to(device);
                    targets[b] = new DetectionTarget(flipped.Target.Boxes.to(device), flipped.Target.Labels.to(device), flipped.Target.Masks?.to(device));
                }
                var losses = model.Losses(images, targets);
                var loss = losses.Values.Aggregate((a, b) => a.add(b, alpha: One));
                optimizer.zero_grad();
                loss.backward();
                optimizer.step();
                step++;
                ema?.Update(model, step);
                foreach (var (name, value) in losses)
                    sums[name] = sums.GetValueOrDefault(name) + value.item<float>();
                total += loss.item<float>();
                observer.StepFinished(new StepProgress(epoch, s + 1, steps, total / (s + 1), null, (s + 1) * options.BatchSize / epochClock.Elapsed.TotalSeconds, rate));
            }
            double imagesPerSecond = steps * options.BatchSize / epochClock.Elapsed.TotalSeconds;
            var evaluated = ema?.Module ?? model;
            var (evaluation, found) = DetectEvaluation.Run(evaluated, data, device);
            var summary = evaluation.Summary;
            bool improved = summary.AP > position.BestMetric;
            position = new CheckpointPosition(epoch, step, improved ? summary.AP : position.BestMetric, improved ? epoch : position.BestEpoch);
            TrainingCheckpoint.Save(CheckpointFiles.Last(options.OutputDirectory), model, optimizer, position, ema?.Module, metadata);
            if (improved)
            {
                TrainingCheckpoint.Save(CheckpointFiles.Best(options.OutputDirectory), model, optimizer, position, ema?.Module, metadata);
                DetectOutputs.WritePrecisionRecall(Path.Combine(options.OutputDirectory, "precision-recall.png"), DetectEvaluation.PrecisionRecall(evaluation, data), epoch);
                DetectOutputs.WriteOverlays(Path.Combine(options.OutputDirectory, "overlays.png"), data, found, options.ScoreThreshold);
            }
            var classAp = Enumerable.Range(1, data.Classes.Count - 1)
                .Select(l => (data.Classes.Names[l], evaluation.CategoryAveragePrecision.TryGetValue(data.CategoryId(l), out var ap) ? ap : -1)).ToArray();
            rows.Add(new DetectRow(epoch, epochClock.Elapsed.TotalSeconds, rate,
                sums.Select(p => (p.Key, p.Value / steps)).Prepend(("loss", total / steps)).ToArray(), summary.AP, summary.AP50, summary.AP75, classAp));
            DetectOutputs.WriteMetrics(options.OutputDirectory, rows);
            observer.EpochFinished(new EpochSummary(epoch, total / steps, null, imagesPerSecond, epochClock.Elapsed,
                string.Create(CultureInfo.InvariantCulture, $"AP {summary.AP:0.000}  AP50 {summary.AP50:0.000}  AP75 {summary.AP75:0.000}{(improved ? "  best" : "")}")));
        }
        var best = rows.FirstOrDefault(r => r.Epoch == position.BestEpoch);
        return new DetectResult(rows, position.BestEpoch, best?.AP ?? double.NaN, best?.AP50 ?? double.NaN, clock.Elapsed);
    }

    private OptimizerHelper CreateOptimizer(Parameter[] decay, Parameter[] noDecay)
    {
        double rate = options.PeakLearningRate;
        if (options.Optimizer == "adamw")
            return new AdamW(new[] { new AdamW.ParamGroup(decay, weightDecay: options.WeightDecay), new AdamW.ParamGroup(noDecay, weightDecay: 0) }, rate,
                weightDecay: options.WeightDecay);
        return new Sgd(new[] { new Sgd.ParamGroup(decay, weightDecay: options.WeightDecay), new Sgd.ParamGroup(noDecay, weightDecay: 0) }, rate, momentum: 0.9,
            weightDecay: options.WeightDecay);
    }

    private void LoadPretrained(Detector model)
    {
        string name = options.Model;
        var weights = DetectionModels.Pretrained(name);
        bool isBackbone = weights.BackbonePrefix is not null;
        if ((options.Pretrained == "coco") == isBackbone)
            throw new ArgumentException(
                $"--pretrained {options.Pretrained}: {name}'s published weights are {(isBackbone ? "an ImageNet backbone" : "COCO weights")}; use --pretrained {(isBackbone ? "imagenet" : "coco")}.");
        output.WriteLine($"Loading {name}'s {(isBackbone ? "ImageNet backbone" : "COCO")} weights.");
        var result = DetectionModels.LoadPretrainedAsync(model, name).GetAwaiter().GetResult();
        if (result.SkippedKeys.Count > 0)
            output.WriteLine($"  new (class-sized) layers: {string.Join(", ", result.SkippedKeys)}");
    }
}
