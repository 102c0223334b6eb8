using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using FluentAssertions;
using ResNeStBlocks.Detection.Models;
using ResNeStBlocks.Testing;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNeStBlocks.Tests.Detection;

/// <summary>
/// What every detector's fixture test shares (tests/fixtures/detection-models): the JSON files, the generators'
/// det-fill and procedural images (exact integer arithmetic, then one rounding per step, so both sides agree bit for
/// bit), and the comparisons of keys and detections.
/// </summary>
internal static class DetectorFixtures
{
    private const long Mod = 1 << 20;

    /// <summary>A JSON file of tests/fixtures/detection-models.</summary>
    public static JsonElement Json(string file)
    {
        using var doc = JsonDocument.Parse(System.IO.File.ReadAllText(Fixtures.File("detection-models", file)));
        return doc.RootElement.Clone();
    }

    /// <summary>Keys, shapes, trainable flags and parameter count equal the manifest's (and the count the issue states).</summary>
    public static void ShouldMatchManifest(nn.Module model, string manifestFile, long parameterCount)
    {
        var manifest = Json(manifestFile);
        var expected = manifest.GetProperty("keys").EnumerateArray().ToDictionary(e => e.GetProperty("key").GetString()!, e => e);
        var state = model.state_dict();
        state.Keys.OrderBy(k => k, StringComparer.Ordinal).Should().Equal(expected.Keys.OrderBy(k => k, StringComparer.Ordinal));
        foreach (var (key, tensor) in state)
            tensor.shape.Should().Equal(expected[key].GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()), key);
        var trainable = model.named_parameters().Where(p => p.parameter.requires_grad).Select(p => p.name).OrderBy(k => k, StringComparer.Ordinal);
        trainable.Should().Equal(expected.Where(e => e.Value.GetProperty("trainable").GetBoolean()).Select(e => e.Key).OrderBy(k => k, StringComparer.Ordinal));
        long count = model.parameters().Sum(p => p.numel());
        count.Should().Be(manifest.GetProperty("parameters").GetInt64());
        count.Should().Be(parameterCount);
    }

    /// <summary>
    /// The generators' det-fill: the state-dict key at position k of the keys sorted by code point, element j, gets
    /// <c>u = ((j * 2654435761 + (k + 1) * 40503) mod 2^20) / 2^20 - 0.5</c>, then by key: running variances
    /// <c>1 + 0.5u</c>, running means <c>0.2u</c>, 1-D weights of the body's norms <c>normGain + 0.2u</c>, other 1-D
    /// tensors <c>0.2u</c>, tensors of 2+ dimensions <c>u * sqrt(24 / fan_in) * gain</c>. <paramref name="special"/>
    /// gives a family's own value for a key (from <c>u</c>), or null for these rules; <paramref name="gain"/> a weight's gain.
    /// </summary>
    public static void DetFill(nn.Module model, double normGain, Func<string, double>? gain = null, Func<string, Tensor, Tensor?>? special = null)
    {
        var state = model.state_dict();
        var keys = state.Keys.OrderBy(k => k, StringComparer.Ordinal).ToArray();
        using var noGrad = no_grad();
        for (int k = 0; k < keys.Length; k++)
        {
            string key = keys[k];
            var t = state[key];
            using var scope = NewDisposeScope();
            var u = Uniform(t.numel(), k).reshape(t.shape);
            // The rules below scale u in place: the same operations as Python's, without a fresh tensor per step (a
            // model's tens of millions of values made the fill slower than the detections it checks).
            Tensor v;
            if (special?.Invoke(key, u) is { } own) v = own;
            else if (key.EndsWith("running_var", StringComparison.Ordinal)) v = AffineInPlace(u, 0.5, 1.0);
            else if (key.EndsWith("running_mean", StringComparison.Ordinal)) v = AffineInPlace(u, 0.2, 0);
            else if (t.dim() == 1 && key.StartsWith("backbone.body.", StringComparison.Ordinal) && key.EndsWith("weight", StringComparison.Ordinal)) v = AffineInPlace(u, 0.2, normGain);
            else if (t.dim() == 1) v = AffineInPlace(u, 0.2, 0);
            else
            {
                long fanIn = t.numel() / t.size(0);
                // Python evaluates u * sqrt(24 / fan_in) * gain left to right.
                v = AffineInPlace(AffineInPlace(u, Math.Sqrt(24.0 / fanIn), 0), gain?.Invoke(key) ?? 1.0, 0);
            }
            t.copy_(v);
        }
    }

    /// <summary>The generators' procedural image i: pixel (c, y, x) is ((n * 2654435761 + (i + 1) * 7919) mod 2^20) / 2^20, float64.</summary>
    public static Tensor Image(int i, long h, long w) => Hashed(3 * h * w, (i + 1) * 7919L).reshape(3, h, w);

    /// <summary>The fixture's images (its <c>images</c> array of [H, W]), float64.</summary>
    public static Tensor[] Images(JsonElement fixture) =>
        fixture.GetProperty("images").EnumerateArray().Select((e, i) => Image(i, e[0].GetInt64(), e[1].GetInt64())).ToArray();

    /// <summary>
    /// Named losses equal torchvision's: exactly the names <paramref name="names"/> on both sides, each value within
    /// <paramref name="tolerance"/> of the fixture's; each is logged with its difference, and the largest is returned.
    /// </summary>
    public static double LossesShouldEqual(IReadOnlyDictionary<string, Tensor> losses, IReadOnlyCollection<string> names, JsonElement expected,
        double tolerance, Action<string> log)
    {
        losses.Keys.OrderBy(k => k, StringComparer.Ordinal).Should().Equal(names.OrderBy(k => k, StringComparer.Ordinal));
        expected.EnumerateObject().Select(p => p.Name).OrderBy(k => k, StringComparer.Ordinal).Should().Equal(names.OrderBy(k => k, StringComparer.Ordinal));
        double worst = 0;
        foreach (var name in names)
        {
            double value = losses[name].item<double>();
            double reference = expected.GetProperty(name).GetDouble();
            double difference = Math.Abs(value - reference);
            log($"{name}: {value:R} (torchvision {reference:R}, difference {difference:E2})");
            difference.Should().BeLessThan(tolerance, name);
            worst = Math.Max(worst, difference);
        }
        return worst;
    }

    /// <summary>
    /// The detections equal the fixture's (its <c>detections</c> array: <c>boxes</c>, <c>scores</c>, <c>labels</c>):
    /// the same count and labels, scores and boxes within <paramref name="tolerance"/>; returns the largest differences.
    /// </summary>
    public static (double Scores, double Boxes) ShouldEqual(IReadOnlyList<Detections> found, JsonElement fixture, double tolerance)
    {
        var expected = fixture.GetProperty("detections").EnumerateArray().ToArray();
        found.Should().HaveCount(expected.Length);
        double worstScore = 0, worstBox = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            var labels = expected[i].GetProperty("labels").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            var scores = expected[i].GetProperty("scores").EnumerateArray().Select(e => e.GetDouble()).ToArray();
            var boxes = expected[i].GetProperty("boxes").EnumerateArray().SelectMany(b => b.EnumerateArray().Select(e => e.GetDouble())).ToArray();
            found[i].Labels.dtype.Should().Be(ScalarType.Int64);
            found[i].Labels.data<long>().ToArray().Should().Equal(labels, $"image {i}'s labels");
            using var expectedScores = tensor(scores, ScalarType.Float64);
            using var expectedBoxes = tensor(boxes, new long[] { labels.Length, 4 }, ScalarType.Float64);
            if (labels.Length > 0)
            {
                using var scoreError = found[i].Scores.sub(expectedScores).abs().max();
                using var boxError = found[i].Boxes.sub(expectedBoxes).abs().max();
                worstScore = Math.Max(worstScore, scoreError.item<double>());
                worstBox = Math.Max(worstBox, boxError.item<double>());
            }
            TensorAssert.Close(found[i].Scores, expectedScores, tolerance, 0, $"image {i}'s scores");
            TensorAssert.Close(found[i].Boxes, expectedBoxes, tolerance, 0, $"image {i}'s boxes");
        }
        return (worstScore, worstBox);
    }

    /// <summary>
    /// A detector in training mode, its body's norms randomized (seed 5), detects on a random 128x160 float32 image
    /// (seed 3); the mode is restored and the detections are well formed: <paramref name="count"/> of them, boxes [n, 4]
    /// inside the image with x2 &gt;= x1 and y2 &gt;= y1, scores in descending order within [<paramref name="lowestScore"/>, 1],
    /// Int64 labels from <paramref name="firstLabel"/> to 90.
    /// </summary>
    public static void DetectsWellFormed(Detector model, nn.Module body, (long Min, long Max) count, long firstLabel, float lowestScore)
    {
        const long height = 128, width = 160;
        RandomNorms.Randomize(body, 5);
        model.train();
        using var image = rand(new long[] { 3, height, width }, generator: new Generator(3));

        var found = model.Detect(new[] { image });

        model.training.Should().BeTrue("Detect restores the mode");
        found.Should().HaveCount(1);
        using var d = found[0];
        long n = d.Boxes.size(0);
        n.Should().BeInRange(count.Min, count.Max);
        d.Boxes.shape.Should().Equal(n, 4);
        d.Scores.shape.Should().Equal(n);
        d.Labels.shape.Should().Equal(n);
        d.Labels.dtype.Should().Be(ScalarType.Int64);
        var boxes = d.Boxes.data<float>().ToArray();
        d.Scores.data<float>().ToArray().Should().BeInDescendingOrder().And.OnlyContain(s => s >= lowestScore && s <= 1);
        d.Labels.data<long>().ToArray().Should().OnlyContain(l => l >= firstLabel && l <= 90);
        for (long i = 0; i < n; i++)
        {
            var (x1, y1, x2, y2) = (boxes[4 * i], boxes[4 * i + 1], boxes[4 * i + 2], boxes[4 * i + 3]);
            (x1 >= 0 && y1 >= 0 && x2 <= width && y2 <= height && x2 >= x1 && y2 >= y1).Should().BeTrue($"box {i} ({x1}, {y1}, {x2}, {y2}) lies in the image");
        }
    }

    private static Tensor Uniform(long n, int k) => AffineInPlace(Hashed(n, (k + 1) * 40503L), 1, -0.5);

    /// <summary>The generators' integer pattern: ((index * 2654435761 + offset) mod 2^20) / 2^20, in float64.</summary>
    private static Tensor Hashed(long n, long offset)
    {
        // Every scalar held across its call: a temporary one can be freed by the finalizer thread mid-call.
        using Scalar multiplier = 2654435761L, shift = offset, modulus = Mod, divisor = (double)Mod, count = n;
        using var j = arange(count, ScalarType.Int64);
        j.mul_(multiplier).add_(shift, HeldScalars.One).remainder_(modulus);
        return j.to(ScalarType.Float64).div_(divisor);
    }

    /// <summary><see cref="Affine"/> on <paramref name="u"/> itself (same operations, same rounding); returns it.</summary>
    private static Tensor AffineInPlace(Tensor u, double scale, double offset)
    {
        using Scalar heldScale = scale, heldOffset = offset;
        u.mul_(heldScale);
        return offset == 0 ? u : u.add_(heldOffset, HeldScalars.One);
    }

    /// <summary><c>u * scale + offset</c> (offset 0: the product alone, as Python's <c>u * scale</c>), with held scalars.</summary>
    public static Tensor Affine(Tensor u, double scale, double offset)
    {
        using Scalar heldScale = scale, heldOffset = offset;
        var scaled = u.mul(heldScale);
        if (offset == 0)
            return scaled;
        using (scaled)
            return scaled.add(heldOffset, HeldScalars.One);
    }
}
