using static TorchSharp.torch;

namespace ResNeStBlocks.Training;

/// <summary>What one <see cref="MixedPrecisionTrainer.Step"/> did.</summary>
/// <param name="Loss">The unscaled loss, detached, on the model's device; the caller owns it (read it when a sync is affordable).</param>
/// <param name="Applied">Whether the optimizer updated the weights (false: the gradients were not finite and the step was skipped).</param>
/// <param name="Scale">The loss scale used for this step (1 without a scaler).</param>
public sealed record MixedPrecisionStep(Tensor Loss, bool Applied, double Scale);
