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
/// The Mask R-CNN and v2 fixtures of generate_mask.py: their det-fill (generate.py's, with num_batches_tracked left at 0
/// and the norms outside the body at <c>head_norm_gain + 0.2u</c>) and the comparison of pasted masks with the
/// fixture's per-mask statistics and in-full values.
/// </summary>
internal static class MaskFixtures
{
    /// <summary>The model, built with the fixture's sizes and proposal and detection counts, in float64, eval mode, det-filled.</summary>
    public static Detector Model(string name, JsonElement fixture)
    {
        var options = new DetectionOptions
        {
            MinSize = fixture.GetProperty("min_size").GetInt32(),
            MaxSize = fixture.GetProperty("max_size").GetInt32(),
            RpnPostNmsTopNTest = fixture.GetProperty("rpn_post_nms_top_n_test").GetInt32(),
            BoxDetectionsPerImg = fixture.GetProperty("box_detections_per_img").GetInt32(),
            // Training fixtures may lower these to keep the float64 heads quick.
            RpnPostNmsTopNTrain = fixture.TryGetProperty("rpn_post_nms_top_n_train", out var postNms) ? postNms.GetInt32() : 2000,
            BoxBatchSizePerImage = fixture.TryGetProperty("box_batch_size_per_image", out var samples) ? samples.GetInt32() : 512,
        };
        var model = DetectionModels.Create(name, options: options);
        model.to(ScalarType.Float64);
        model.eval();
        Fill(model, fixture);
        return model;
    }

    /// <summary>
    /// Det-fills <paramref name="model"/> with the fixture's gains (RPN, class scores and bias, mask branch, head norms);
    /// with <paramref name="regressionGain"/>, every box regression's weight (the RPN's and the box predictor's) takes that
    /// gain instead.
    /// </summary>
    public static void Fill(Detector model, JsonElement fixture, double? regressionGain = null)
    {
        double rpnGain = fixture.GetProperty("rpn_gain").GetDouble();
        double clsGain = fixture.GetProperty("cls_gain").GetDouble();
        double clsBias = fixture.GetProperty("cls_bias").GetDouble();
        double maskGain = fixture.GetProperty("mask_gain").GetDouble();
        double headNormGain = fixture.GetProperty("head_norm_gain").GetDouble();
        DetectorFixtures.DetFill(model, fixture.GetProperty("norm_gain").GetDouble(),
            key => regressionGain is { } gain && key.EndsWith("bbox_pred.weight", StringComparison.Ordinal) ? gain
                : key.StartsWith("rpn.head.", StringComparison.Ordinal) ? rpnGain
                : key == "roi_heads.box_predictor.cls_score.weight" ? clsGain
                : key.StartsWith("roi_heads.mask_", StringComparison.Ordinal) ? maskGain : 1.0,
            (key, u) =>
                key.EndsWith("num_batches_tracked", StringComparison.Ordinal) ? zeros_like(u)
                : key == "roi_heads.box_predictor.cls_score.bias" ? DetectorFixtures.Affine(u, clsBias, 0)
                : u.dim() == 1 && key.EndsWith("weight", StringComparison.Ordinal) && !key.StartsWith("backbone.body.", StringComparison.Ordinal)
                    ? DetectorFixtures.Affine(u, 0.2, headNormGain)
                    : null);
    }

    /// <summary>
    /// Every image's masks are [N, 1, H, W] in the image's pixels and equal the fixture's: the same count of non-zero
    /// pixels, sums (plain, by x, by y, of squares) and maximum within <paramref name="tolerance"/> per pixel, and the
    /// in-full masks within <paramref name="tolerance"/> everywhere. Returns the largest per-pixel difference seen.
    /// </summary>
    public static double ShouldEqualMasks(IReadOnlyList<Detections> found, JsonElement fixture, double tolerance)
    {
        var expected = fixture.GetProperty("detections").EnumerateArray().ToArray();
        var sizes = fixture.GetProperty("images").EnumerateArray().Select(e => (e[0].GetInt64(), e[1].GetInt64())).ToArray();
        double worst = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            var masks = found[i].Masks;
            masks.Should().NotBeNull($"image {i} has masks");
            var (h, w) = sizes[i];
            masks!.shape.Should().Equal(new[] { found[i].Labels.size(0), 1, h, w }, $"image {i}'s masks are [N, 1, H, W] in its own pixels");
            using var scope = NewDisposeScope();
            var m = masks.squeeze(1);
            var stats = Statistics(m);
            var want = expected[i].GetProperty("mask_stats").EnumerateArray().Select(s => s.EnumerateArray().Select(e => e.GetDouble()).ToArray()).ToArray();
            stats.Length.Should().Be(want.Length);
            for (int n = 0; n < want.Length; n++)
            {
                stats[n][0].Should().Be(want[n][0], $"image {i}, mask {n}: non-zero pixels");
                double pixels = Math.Max(want[n][0], 1);
                double[] scale = { 1, pixels, pixels * w, pixels * h, pixels, 1 };
                for (int s = 1; s < 6; s++)
                {
                    double perPixel = Math.Abs(stats[n][s] - want[n][s]) / scale[s];
                    worst = Math.Max(worst, perPixel);
                    perPixel.Should().BeLessThan(tolerance, $"image {i}, mask {n}, statistic {s}");
                }
            }
            int full = 0;
            foreach (var region in expected[i].GetProperty("full").EnumerateArray())
            {
                long y0 = region.GetProperty("y0").GetInt64(), x0 = region.GetProperty("x0").GetInt64();
                long rows = region.GetProperty("rows").GetInt64(), cols = region.GetProperty("cols").GetInt64();
                var values = region.GetProperty("values").EnumerateArray().Select(e => e.GetDouble()).ToArray();
                var inside = m[full].narrow(0, y0, rows).narrow(1, x0, cols);
                var want2 = tensor(values, new[] { rows, cols }, ScalarType.Float64);
                worst = Math.Max(worst, inside.sub(want2).abs().max().item<double>());
                TensorAssert.Close(inside, want2, tolerance, 0, $"image {i}, mask {full} in full");
                // Nothing outside the rectangle: its sum is the whole mask's.
                Math.Abs(inside.sum().item<double>() - m[full].sum().item<double>()).Should().BeLessThan(1e-9, $"image {i}, mask {full} is 0 outside its rectangle");
                full++;
            }
        }
        return worst;
    }

    /// <summary>Per mask: non-zero pixels, sum, sum weighted by x, by y, sum of squares, maximum (generate_mask.py's mask_stats).</summary>
    private static double[][] Statistics(Tensor m)
    {
        using var scope = NewDisposeScope();
        long n = m.size(0), h = m.size(1), w = m.size(2);
        if (n == 0)
            return Array.Empty<double[]>();
        using Scalar zero = 0L, one = 1L, height = h, width = w, none = 0.0;
        var ys = arange(zero, height, one, ScalarType.Float64).view(1, -1, 1);
        var xs = arange(zero, width, one, ScalarType.Float64).view(1, 1, -1);
        var dims = new long[] { 1, 2 };
        var columns = stack(new[]
        {
            m.ne(none).to(ScalarType.Float64).sum(dims), m.sum(dims), m.mul(xs).sum(dims), m.mul(ys).sum(dims), m.mul(m).sum(dims),
            m.flatten(1).max(1).values,
        }, 1);
        var flat = columns.data<double>().ToArray();
        return Enumerable.Range(0, (int)n).Select(k => flat.Skip(k * 6).Take(6).ToArray()).ToArray();
    }
}
