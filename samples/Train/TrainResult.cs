using System;
using System.Collections.Generic;
using ResNeStBlocks.Backbones;
using ResNeStBlocks.Samples.Progress;

namespace ResNeStBlocks.Samples.Train;

/// <summary>What <see cref="TrainApp.Run"/> did.</summary>
/// <param name="Config">The trained architecture (rebuild it with <c>new ResNet(Config)</c> to load the weights).</param>
/// <param name="Epochs">Per-epoch figures.</param>
/// <param name="HeldOutAccuracy">Accuracy on the held-out images, in eval mode.</param>
/// <param name="HeldOutPredictions">Predicted class of each held-out image.</param>
/// <param name="WeightsPath">Where the weights were saved.</param>
/// <param name="Elapsed">Wall time of the whole run.</param>
public sealed record TrainResult(ResNetConfig Config, IReadOnlyList<EpochSummary> Epochs, double HeldOutAccuracy,
    IReadOnlyList<long> HeldOutPredictions, string WeightsPath, TimeSpan Elapsed);
