using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using ResNeStBlocks.Backbones;
using ResNeStBlocks.Runtime;
using ResNeStBlocks.Samples.Progress;
using ResNeStBlocks.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNeStBlocks.Samples.Train;

/// <summary>The Train program: a small ResNeSt learns <see cref="ShapesDataset"/> from scratch on the CPU.</summary>
public static class TrainApp
{
    private const int EvalBatchSize = 250;

    /// <summary>Trains with one plain progress line per epoch written to <paramref name="output"/>.</summary>
    /// <param name="options">How to train.</param>
    /// <param name="output">Where the summary and progress go.</param>
    /// <returns>Per-epoch figures, held-out accuracy and predictions, and the weights path.</returns>
    public static TrainResult Run(TrainOptions options, TextWriter output) => Run(options, output, new PlainTextObserver(output));

    /// <summary>Trains, reporting progress to <paramref name="observer"/> and the summary to <paramref name="output"/>.</summary>
    /// <param name="options">How to train.</param>
    /// <param name="output">Where the heading and the summary go.</param>
    /// <param name="observer">Receives per-step and per-epoch progress.</param>
    /// <returns>Per-epoch figures, held-out accuracy and predictions, and the weights path.</returns>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    public static TrainResult Run(TrainOptions options, TextWriter output, ITrainingObserver observer)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(observer);
        options.Validate();
        int previousThreads = get_num_threads();
        set_num_threads(options.Threads);
        try
        {
            return Train(options, output, observer);
        }
        finally
        {
            set_num_threads(previousThreads);
        }
    }

    private static TrainResult Train(TrainOptions options, TextWriter output, ITrainingObserver observer)
    {
        var clock = Stopwatch.StartNew();

        using var train = ShapesDataset.Generate(options.TrainSize, options.ImageSize, options.Seed);
        using var heldOut = ShapesDataset.Generate(options.TestSize, options.ImageSize, options.HeldOutSeed);
        manual_seed(options.Seed);
        var config = ShapesModel.Config(ShapesDataset.NumClasses);
        using var model = new ResNet(config);
        long parameters = model.parameters().Sum(p => p.numel());
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"ResNeSt (radix 2, layers 1-1-1-1, channels 16-32-64-128, {parameters:N0} parameters) on {options.TrainSize:N0} synthetic {options.ImageSize}x{options.ImageSize} images of {ShapesDataset.NumClasses} shapes; {options.TestSize:N0} held out."));

        int stepsPerEpoch = options.TrainSize / options.BatchSize;
        // timm's warmup + cosine, per step: from a tenth of the peak up to it, then down to a hundredth.
        var schedule = CosineSchedule.PerStep(options.LearningRate, options.Epochs, stepsPerEpoch, options.WarmupEpochs,
            minRate: options.LearningRate / 100, warmupInitialRate: options.LearningRate / 10);
        using var optimizer = new Sgd(model.parameters(), options.LearningRate, momentum: 0.9, weightDecay: options.WeightDecay);
        var generator = new Generator((ulong)options.Seed);
        var epochs = new EpochSummary[options.Epochs];
        int step = 0;
        for (int epoch = 1; epoch <= options.Epochs; epoch++)
        {
            model.train();
            observer.EpochStarted(epoch, options.Epochs, stepsPerEpoch);
            var epochClock = Stopwatch.StartNew();
            double lossSum = 0;
            long correct = 0, seen = 0;
            using var order = randperm(train.Count, generator: generator);
            for (int s = 0; s < stepsPerEpoch; s++, step++)
            {
                using var scope = NewDisposeScope();
                double rate = schedule.At(step);
                foreach (var group in optimizer.ParamGroups)
                    group.LearningRate = rate;
                var indices = order.narrow(0, (long)s * options.BatchSize, options.BatchSize);
                var images = train.Images.index_select(0, indices);
                var labels = train.Labels.index_select(0, indices);

                model.zero_grad();
                var logits = model.call(images);
                var loss = nn.functional.cross_entropy(logits, labels, label_smoothing: options.LabelSmoothing);
                loss.backward();
                optimizer.step();

                // Both figures in one read: each read from the device waits for the step to finish.
                var figures = stack(new[] { loss.detach().to(ScalarType.Float64), logits.argmax(1).eq(labels).sum().to(ScalarType.Float64) })
                    .cpu().data<double>();
                lossSum += figures[0] * options.BatchSize;
                correct += (long)figures[1];
                seen += options.BatchSize;
                observer.StepFinished(new StepProgress(epoch, s + 1, stepsPerEpoch, lossSum / seen, (double)correct / seen,
                    seen / epochClock.Elapsed.TotalSeconds, rate));
            }
            epochs[epoch - 1] = new EpochSummary(epoch, lossSum / seen, (double)correct / seen, seen / epochClock.Elapsed.TotalSeconds, epochClock.Elapsed);
            observer.EpochFinished(epochs[epoch - 1]);
        }

        var predictions = Predict(model, heldOut.Images);
        var truth = heldOut.Labels.cpu().data<long>().ToArray();
        double accuracy = (double)predictions.Where((p, i) => p == truth[i]).Count() / truth.Length;
        string directory = Path.GetDirectoryName(Path.GetFullPath(options.OutputPath))!;
        Directory.CreateDirectory(directory);
        model.SaveWeights(options.OutputPath);

        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"held-out accuracy: {accuracy:0.0%} ({predictions.Where((p, i) => p == truth[i]).Count()}/{truth.Length}; chance {1.0 / ShapesDataset.NumClasses:0%})"));
        output.WriteLine($"weights: {options.OutputPath}");
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"time: {clock.Elapsed.TotalSeconds:0.0} s"));
        return new TrainResult(config, epochs, accuracy, predictions, options.OutputPath, clock.Elapsed);
    }

    /// <summary>The predicted class of each image, in eval mode without gradients.</summary>
    /// <param name="model">The classifier.</param>
    /// <param name="images">Normalised images [N, 3, H, W].</param>
    /// <returns>One class index per image.</returns>
    public static long[] Predict(ResNet model, Tensor images)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(images);
        model.eval();
        using var _ = no_grad();
        var result = new long[images.shape[0]];
        for (long start = 0; start < result.Length; start += EvalBatchSize)
        {
            using var scope = NewDisposeScope();
            long count = Math.Min(EvalBatchSize, result.Length - start);
            var batch = model.call(images.narrow(0, start, count)).argmax(1).cpu().data<long>().ToArray();
            batch.CopyTo(result, start);
        }
        return result;
    }
}
