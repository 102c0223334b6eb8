using FluentAssertions;
using ResNeStBlocks.Evaluation;
using Xunit;
using static TorchSharp.torch;

namespace ResNeStBlocks.Tests.Evaluation;

/// <summary>The confusion-matrix segmentation figures: pixel accuracy, per-class IoU and their mean.</summary>
public sealed class SegmentationScoresTests
{
    [Fact]
    public void Pixel_accuracy_and_iou_equal_a_hand_computation_with_ignored_pixels_and_absent_classes()
    {
        // Four classes; class 2 is neither in the truth nor predicted (no IoU), class 3 is predicted once but absent
        // from the truth (IoU 0). The two pixels marked 255 count for nothing, whatever is predicted there.
        using var target = tensor(new long[] { 0, 0, 1, 255, 1, 1, 255, 0 }, new long[] { 1, 2, 4 });
        using var predicted = tensor(new long[] { 0, 1, 1, 2, 1, 0, 2, 3 }, new long[] { 1, 2, 4 });
        using var counter = new ConfusionCounter(4, CPU);

        counter.Add(predicted, target);
        var scores = SegmentationScores.From(counter.Read());

        scores.Confusion.Should().BeEquivalentTo(new long[,] { { 1, 1, 0, 1 }, { 1, 2, 0, 0 }, { 0, 0, 0, 0 }, { 0, 0, 0, 0 } });
        scores.PixelAccuracy.Should().Be(3.0 / 6);
        scores.ClassIoU[0].Should().Be(1.0 / 4);          // 1 / (3 true + 2 predicted - 1)
        scores.ClassIoU[1].Should().Be(2.0 / 4);          // 2 / (3 + 3 - 2)
        double.IsNaN(scores.ClassIoU[2]).Should().BeTrue();
        scores.ClassIoU[3].Should().Be(0);
        scores.MeanIoU.Should().Be((0.25 + 0.5 + 0) / 3);

        counter.Add(predicted, target);                     // counts accumulate
        SegmentationScores.From(counter.Read()).Confusion[1, 1].Should().Be(4);
        SegmentationScores.From(new long[2, 2]).Should().Match<SegmentationScores>(s => s.PixelAccuracy == 0 && double.IsNaN(s.MeanIoU));
    }

    [Fact]
    public void A_non_square_matrix_or_no_class_is_refused()
    {
        var square = () => SegmentationScores.From(new long[2, 3]);
        var none = () => new ConfusionCounter(0, CPU);

        square.Should().Throw<System.ArgumentException>().WithMessage("The confusion matrix must be square, got 2x3. (Parameter 'confusion')");
        none.Should().Throw<System.ArgumentOutOfRangeException>().WithMessage("Expected at least 1 class, got 0.*");
    }
}
