using System.Globalization;
using static TorchSharp.torch;

namespace ResNeStBlocks.Training;

/// <summary>What one <see cref="MixedPrecisionTrainer.Step"/> did.</summary>
/// <param name="Loss">The unscaled loss, detached, on the model's device; the caller owns it (read it when a sync is affordable).</param>
/// <param name="Applied">Whether the optimizer updated the weights (false: the gradients were not finite and the step was skipped).</param>
/// <param name="Scale">The loss scale used for this step (1 without a scaler).</param>
public sealed record MixedPrecisionStep(Tensor Loss, bool Applied, double Scale)
{
    /// <summary>
    /// The step written out with the loss's value: <c>MixedPrecisionStep { Loss = 2.3026, Applied = True, Scale = 65536 }</c>.
    /// Reading the value synchronises with the device once; a disposed loss reads <c>(disposed)</c>.
    /// </summary>
    /// <returns>The description.</returns>
    public override string ToString()
    {
        string loss;
        if (Loss.IsInvalid)
            loss = "(disposed)";
        else if (Loss.numel() != 1)
            loss = $"[{string.Join(", ", Loss.shape)}] {Loss.dtype}";
        else
        {
            using var value = Loss.detach().to(ScalarType.Float64);
            loss = value.item<double>().ToString("G5", CultureInfo.InvariantCulture);
        }
        return $"MixedPrecisionStep {{ Loss = {loss}, Applied = {Applied}, Scale = {Scale.ToString(CultureInfo.InvariantCulture)} }}";
    }
}
