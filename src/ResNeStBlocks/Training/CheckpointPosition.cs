namespace ResNeStBlocks.Training;

/// <summary>Where a training run stands when a checkpoint is written.</summary>
/// <param name="Epoch">Epochs completed (the next epoch to run is <c>Epoch + 1</c>).</param>
/// <param name="Step">Optimizer steps taken so far: the learning-rate schedule's and the EMA's position.</param>
/// <param name="BestMetric">The best validation metric so far (for example top-1 accuracy).</param>
/// <param name="BestEpoch">The epoch that reached <see cref="BestMetric"/> (0 before any validation).</param>
public sealed record CheckpointPosition(int Epoch, long Step, double BestMetric, int BestEpoch);
