using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using FluentAssertions;
using ResNeStBlocks.Detection.Models;
using ResNeStBlocks.Testing;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace ResNeStBlocks.Tests.Detection;

/// <summary>
/// fasterrcnn_resnet50_fpn against torchvision 0.14 (tests/fixtures/detection-models): its state-dict keys, shapes,
/// trainable parameters and count, and its eval-mode detections in float64 with the generator's det-fill.
/// </summary>
public class FasterRcnnTests
{
    private readonly Xunit.Abstractions.ITestOutputHelper output;

    public FasterRcnnTests(Xunit.Abstractions.ITestOutputHelper output) => this.output = output;

    private static JsonElement Json(string file)
    {
        using var doc = JsonDocument.Parse(System.IO.File.ReadAllText(Fixtures.File("detection-models", file)));
        return doc.RootElement.Clone();
    }

    [Fact]
    public void Keys_shapes_trainable_parameters_and_count_are_torchvisions()
    {
        var manifest = Json("fasterrcnn_resnet50_fpn.manifest.json");
        using var model = DetectionModels.Create("fasterrcnn_resnet50_fpn");
        var expected = manifest.GetProperty("keys").EnumerateArray()
            .ToDictionary(e => e.GetProperty("key").GetString()!, e => e);
        var state = model.state_dict();
        state.Keys.OrderBy(k => k, StringComparer.Ordinal).Should().Equal(expected.Keys.OrderBy(k => k, StringComparer.Ordinal));
        foreach (var (key, tensor) in state)
            tensor.shape.Should().Equal(expected[key].GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()), key);
        var trainable = model.named_parameters().Where(p => p.parameter.requires_grad).Select(p => p.name).OrderBy(k => k, StringComparer.Ordinal);
        trainable.Should().Equal(expected.Where(e => e.Value.GetProperty("trainable").GetBoolean()).Select(e => e.Key).OrderBy(k => k, StringComparer.Ordinal));
        long count = model.parameters().Sum(p => p.numel());
        count.Should().Be(manifest.GetProperty("parameters").GetInt64());
        count.Should().Be(41_755_286);
    }

    [Theory]
    [InlineData("fasterrcnn_resnet50_fpn.detections.json")]
    [InlineData("fasterrcnn_resnet50_fpn.resized.detections.json")]
    public void Det_filled_float64_detections_equal_torchvisions(string file)
    {
        // The first file's images keep their size; the second's are resized (300 x 420 up, 500 x 350 down) and their
        // boxes mapped back to the original pixels.
        var fixture = Json(file);
        var options = new DetectionOptions { MinSize = fixture.GetProperty("min_size").GetInt32(), MaxSize = fixture.GetProperty("max_size").GetInt32() };
        using var model = DetectionModels.Create("fasterrcnn_resnet50_fpn", options: options);
        model.to(ScalarType.Float64);
        model.eval();
        DetFill(model, fixture);
        var sizes = fixture.GetProperty("images").EnumerateArray().Select(e => (e[0].GetInt64(), e[1].GetInt64())).ToArray();
        var images = sizes.Select((s, i) => Image(i, s.Item1, s.Item2)).ToArray();
        var found = model.Detect(images);
        var expected = fixture.GetProperty("detections").EnumerateArray().ToArray();
        found.Should().HaveCount(expected.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            var labels = expected[i].GetProperty("labels").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            var scores = expected[i].GetProperty("scores").EnumerateArray().Select(e => e.GetDouble()).ToArray();
            var boxes = expected[i].GetProperty("boxes").EnumerateArray().SelectMany(b => b.EnumerateArray().Select(e => e.GetDouble())).ToArray();
            found[i].Labels.dtype.Should().Be(ScalarType.Int64);
            found[i].Labels.data<long>().ToArray().Should().Equal(labels, $"image {i}'s labels");
            using var expectedScores = tensor(scores, ScalarType.Float64);
            using var expectedBoxes = tensor(boxes, new long[] { labels.Length, 4 }, ScalarType.Float64);
            using var scoreError = found[i].Scores.sub(expectedScores).abs().max();
            using var boxError = found[i].Boxes.sub(expectedBoxes).abs().max();
            output.WriteLine($"image {i}: {labels.Length} detections, max |score difference| {scoreError.item<double>():E2}, max |box difference| {boxError.item<double>():E2}");
            TensorAssert.Close(found[i].Scores, expectedScores, 1e-6, 0, $"image {i}'s scores");
            TensorAssert.Close(found[i].Boxes, expectedBoxes, 1e-6, 0, $"image {i}'s boxes");
        }
        foreach (var d in found)
            d.Dispose();
        foreach (var image in images)
            image.Dispose();
    }

    [Fact]
    public void An_image_of_another_dtype_than_the_model_is_refused_before_any_computation()
    {
        using var model = DetectionModels.Create("fasterrcnn_resnet50_fpn", options: new DetectionOptions { MinSize = 32, MaxSize = 32 });
        using var image = zeros(new long[] { 3, 32, 32 }, ScalarType.Float64);
        var act = () => model.Detect(new[] { image });
        act.Should().Throw<ArgumentException>().WithMessage("Image 0 is Float64 on cpu, the model Float32 on cpu; convert it with image.to(...) first.*");
        using var gray = zeros(1, 32, 32);
        act = () => model.Detect(new[] { gray });
        act.Should().Throw<ArgumentException>().WithMessage("Image 0 must have shape [3, H, W], got [1, 32, 32].*");
    }

    [Fact]
    public void An_unknown_name_is_refused_with_the_known_names()
    {
        var act = () => DetectionModels.Create("fasterrcnn_resnet18_fpn");
        act.Should().Throw<ArgumentException>().WithMessage("Unknown detection model 'fasterrcnn_resnet18_fpn'; known: fasterrcnn_resnet50_fpn.*");
    }

    private const long Mod = 1 << 20;

    /// <summary>The generator's det-fill (see its docstring): exact integer arithmetic, then one rounding per step.</summary>
    private static void DetFill(Detector model, JsonElement fixture)
    {
        double normGain = fixture.GetProperty("norm_gain").GetDouble();
        double clsBias = fixture.GetProperty("cls_bias").GetDouble();
        double rpnGain = fixture.GetProperty("rpn_gain").GetDouble();
        double clsGain = fixture.GetProperty("cls_gain").GetDouble();
        var state = model.state_dict();
        var keys = state.Keys.OrderBy(k => k, StringComparer.Ordinal).ToArray();
        using var noGrad = no_grad();
        for (int k = 0; k < keys.Length; k++)
        {
            string key = keys[k];
            var t = state[key];
            using var scope = NewDisposeScope();
            var u = Uniform(t.numel(), k).reshape(t.shape);
            Tensor v;
            if (key.EndsWith("running_var", StringComparison.Ordinal)) v = Affine(u, 0.5, 1.0);
            else if (key.EndsWith("running_mean", StringComparison.Ordinal)) v = Affine(u, 0.2, 0);
            else if (t.dim() == 1 && key.StartsWith("backbone.body.", StringComparison.Ordinal) && key.EndsWith("weight", StringComparison.Ordinal)) v = Affine(u, 0.2, normGain);
            else if (key == "roi_heads.box_predictor.cls_score.bias") v = Affine(u, clsBias, 0);
            else if (t.dim() == 1) v = Affine(u, 0.2, 0);
            else
            {
                long fanIn = t.numel() / t.size(0);
                double gain = key.StartsWith("rpn.head.", StringComparison.Ordinal) ? rpnGain : key == "roi_heads.box_predictor.cls_score.weight" ? clsGain : 1.0;
                // Python evaluates u * sqrt(24 / fan_in) * gain left to right.
                v = Affine(Affine(u, Math.Sqrt(24.0 / fanIn), 0), gain, 0);
            }
            t.copy_(v);
        }
    }

    private static Tensor Uniform(long n, int k) => Affine(Hashed(n, (k + 1) * 40503L), 1, -0.5);

    private static Tensor Image(int i, long h, long w) => Hashed(3 * h * w, (i + 1) * 7919L).reshape(3, h, w);

    /// <summary>The generator's integer pattern: ((index * 2654435761 + offset) mod 2^20) / 2^20, in float64.</summary>
    private static Tensor Hashed(long n, long offset)
    {
        // Every scalar held across its call: a temporary one can be freed by the finalizer thread mid-call.
        using Scalar multiplier = 2654435761L, shift = offset, modulus = Mod, divisor = (double)Mod;
        using var j = arange(n, ScalarType.Int64);
        using var mixed = j.mul(multiplier).add(shift, HeldScalars.One).remainder(modulus);
        using var wide = mixed.to(ScalarType.Float64);
        return wide.div(divisor);
    }

    /// <summary><c>u * scale + offset</c> (offset 0: the product alone, as Python's <c>u * scale</c>), with held scalars.</summary>
    private static Tensor Affine(Tensor u, double scale, double offset)
    {
        using Scalar heldScale = scale, heldOffset = offset;
        var scaled = u.mul(heldScale);
        if (offset == 0)
            return scaled;
        using (scaled)
            return scaled.add(heldOffset, HeldScalars.One);
    }
}
