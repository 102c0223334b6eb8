using FluentAssertions;
using Xunit;
using static TorchSharp.torch;

namespace ResNeStBlocks.Tests.Training;

/// <summary>
/// TorchSharp's <c>cross_entropy(label_smoothing: e)</c> is timm's <c>LabelSmoothingCrossEntropy(smoothing=e)</c>:
/// <c>(1 - e) * nll + e * mean over classes of -log p</c>, averaged over the batch. The library therefore adds no loss of its own.
/// </summary>
public sealed class LabelSmoothingTests
{
    [Fact]
    public void Cross_entropy_with_label_smoothing_equals_timms_hand_computed_value()
    {
        using var logits = tensor(new float[] { 2, 1, 0, 0, 0, 3, 1, -1, 0.5f }, new long[] { 3, 3 });
        using var labels = tensor(new long[] { 0, 2, 1 });

        using var loss = nn.functional.cross_entropy(logits, labels, label_smoothing: 0.1);

        // Computed by hand (Python math): sum over rows of 0.9 * -log p[y] + 0.1 * mean(-log p), divided by 3.
        loss.item<float>().Should().BeApproximately(1.0802730579468884f, 1e-6f);
    }
}
