using System;
using System.Linq;
using FluentAssertions;
using ResNeStBlocks.Samples.Train;
using Xunit;
using static TorchSharp.torch;

namespace ResNeStBlocks.Samples.Tests;

/// <summary>The pieces of the Train sample: data, loss, options (the schedule is the library's, tested in Training).</summary>
public sealed class TrainPartsTests
{
    [Fact]
    public void The_dataset_is_deterministic_balanced_and_seed_dependent()
    {
        using var a = ShapesDataset.Generate(200, 32, 7);
        using var b = ShapesDataset.Generate(200, 32, 7);
        using var c = ShapesDataset.Generate(200, 32, 8);

        a.Images.shape.Should().Equal(200, 3, 32, 32);
        a.Images.allclose(b.Images, rtol: 0, atol: 0).Should().BeTrue();
        a.Labels.data<long>().ToArray().Should().Equal(b.Labels.data<long>().ToArray());
        a.Images.allclose(c.Images, rtol: 0, atol: 0).Should().BeFalse();
        var counts = a.Labels.data<long>().ToArray().GroupBy(l => l).ToDictionary(g => g.Key, g => g.Count());
        counts.Should().HaveCount(ShapesDataset.NumClasses).And.OnlyContain(kv => kv.Value == 50);
        a.Labels.data<long>().ToArray().Take(8).Should().NotEqual(new long[] { 0, 1, 2, 3, 0, 1, 2, 3 }, "the classes are shuffled");
    }

    [Theory]
    [InlineData(Shape.Circle, 0.0, 0.95, true)]
    [InlineData(Shape.Circle, 0.8, 0.8, false)]
    [InlineData(Shape.Square, 0.75, 0.75, true)]
    [InlineData(Shape.Square, 0.0, 0.95, false)]
    [InlineData(Shape.Triangle, 0.0, -0.9, true)]
    [InlineData(Shape.Triangle, 0.5, -0.5, false)]
    [InlineData(Shape.Triangle, 0.9, 0.9, true)]
    [InlineData(Shape.Cross, 0.0, 0.95, true)]
    [InlineData(Shape.Cross, 0.6, 0.6, false)]
    public void Shapes_cover_the_expected_points(Shape shape, double dx, double dy, bool inside) =>
        ShapesDataset.Inside(shape, dx * 10, dy * 10, 10).Should().Be(inside);

    [Fact]
    public void TorchSharp_cross_entropy_applies_label_smoothing()
    {
        manual_seed(3);
        using var logits = randn(6, 4);
        using var labels = tensor(new long[] { 0, 1, 2, 3, 1, 2 });
        const double epsilon = 0.1;

        using var smoothed = nn.functional.cross_entropy(logits, labels, label_smoothing: epsilon);
        using var logProbabilities = nn.functional.log_softmax(logits, 1);
        using var nll = nn.functional.nll_loss(logProbabilities, labels);
        using var uniform = logProbabilities.mean(new long[] { 1 }).mean().neg();
        double expected = (1 - epsilon) * nll.item<float>() + epsilon * uniform.item<float>();

        smoothed.item<float>().Should().BeApproximately((float)expected, 1e-5f);
        smoothed.item<float>().Should().NotBeApproximately(nll.item<float>(), 1e-3f);
    }

    [Theory]
    [InlineData(new[] { "--epochs", "0" }, "--epochs must be a positive integer")]
    [InlineData(new[] { "--lr", "fast" }, "--lr must be a number")]
    [InlineData(new[] { "--label-smoothing", "1" }, "--label-smoothing must be in [0, 1)")]
    [InlineData(new[] { "--batch-size", "5000" }, "--batch-size must be between 2 and --train-size")]
    [InlineData(new[] { "--wat", "1" }, "Unknown option '--wat'")]
    [InlineData(new[] { "--out" }, "Option --out needs a value")]
    public void Bad_options_are_rejected_with_a_clear_message(string[] args, string message) =>
        FluentActions.Invoking(() => TrainOptions.Parse(args)).Should().Throw<ArgumentException>().Which.Message.Should().Contain(message);

    [Fact]
    public void Options_parse_into_the_record()
    {
        var options = TrainOptions.Parse(new[] { "--epochs", "3", "--train-size", "640", "--lr", "0.05", "--out", "w.safetensors" });

        options.Should().Be(new TrainOptions { Epochs = 3, TrainSize = 640, LearningRate = 0.05, OutputPath = "w.safetensors" });
        TrainOptions.Parse(new[] { "--help" }).Should().BeNull();
    }
}
