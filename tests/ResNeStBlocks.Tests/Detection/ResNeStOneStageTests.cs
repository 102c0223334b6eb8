using System;
using System.Linq;
using FluentAssertions;
using ResNeStBlocks.Dense;
using ResNeStBlocks.Detection.Models;
using ResNeStBlocks.Testing;
using ResNeStBlocks.Zoo;
using TorchSharp;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace ResNeStBlocks.Tests.Detection;

/// <summary>
/// RetinaNet and FCOS on the library's ResNeSt bodies (<see cref="ResNetFpnBackbone"/> on stages 2-4 with P6 and P7 from
/// P5, as torchvision's <c>retinanet_resnet50_fpn</c> and <c>fcos_resnet50_fpn</c>): timm's keys under
/// <c>backbone.body.</c>, torchvision's elsewhere, trainable flags and the exact parameter count (manifests from
/// generate_resnest_onestage.py), the five levels' shapes, detections on a small image and one SGD step.
/// </summary>
public sealed class ResNeStOneStageTests(ITestOutputHelper output)
{
    [Theory]
    // timm's body without fc (resnest50d 25,434,240; resnest101e 46,226,016) plus torchvision's parameters outside its
    // frozen-norm body: retinanet_resnet50_fpn 34,014,999 - 23,454,912 = 10,560,087, fcos_resnet50_fpn 32,269,600 - 23,454,912 = 8,814,688.
    [InlineData("retinanet_resnest50d_fpn", "retinanet_resnet50_fpn", 35_994_327)]
    [InlineData("retinanet_resnest101e_fpn", "retinanet_resnet50_fpn", 56_786_103)]
    [InlineData("fcos_resnest50d_fpn", "fcos_resnet50_fpn", 34_248_928)]
    [InlineData("fcos_resnest101e_fpn", "fcos_resnet50_fpn", 55_040_704)]
    public void Keys_shapes_trainable_parameters_and_count_are_timms_body_under_torchvisions_one_stage_model(string name, string torchvisionModel, long parameters)
    {
        using var model = DetectionModels.Create(name);

        DetectorFixtures.ShouldMatchManifest(model, $"{name}.manifest.json", parameters);
        var torchvisionKeys = DetectorFixtures.Json($"{torchvisionModel}.manifest.json").GetProperty("keys").EnumerateArray()
            .Select(e => e.GetProperty("key").GetString()!).Where(k => !k.StartsWith("backbone.body.", StringComparison.Ordinal)).Order(StringComparer.Ordinal);
        model.state_dict().Keys.Where(k => !k.StartsWith("backbone.body.", StringComparison.Ordinal)).Order(StringComparer.Ordinal)
            .Should().Equal(torchvisionKeys);
        var backbone = Backbone(model);
        backbone.ReturnedStages.Should().Equal(2, 3, 4);
        backbone.Fpn.ExtraBlocks.Should().BeOfType<LastLevelP6P7>().Which.InChannels.Should().Be(256, "P6 reads P5, as torchvision's LastLevelP6P7(256, 256)");
        backbone.Body.Config.Layers.Should().Equal(name.Contains("101e", StringComparison.Ordinal) ? new[] { 3, 4, 23, 3 } : new[] { 3, 4, 6, 3 });
    }

    [Theory]
    [InlineData("retinanet_resnest50d_fpn")]
    [InlineData("fcos_resnest50d_fpn")]
    public void The_backbone_gives_five_levels_at_strides_8_to_128(string name)
    {
        using var model = DetectionModels.Create(name);
        model.eval();
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var levels = Backbone(model).call(rand(new long[] { 1, 3, 256, 384 }, generator: new Generator(7)));

        levels.Names.Should().Equal("0", "1", "2", "p6", "p7");
        levels.Select(l => l.shape).Should().BeEquivalentTo(
            new[] { new long[] { 1, 256, 32, 48 }, new long[] { 1, 256, 16, 24 }, new long[] { 1, 256, 8, 12 }, new long[] { 1, 256, 4, 6 }, new long[] { 1, 256, 2, 3 } },
            o => o.WithStrictOrdering());
    }

    [Theory]
    [InlineData("retinanet_resnest50d_fpn")]
    [InlineData("fcos_resnest50d_fpn")]
    public void Detect_on_a_small_float32_image_returns_well_formed_detections(string name)
    {
        // torchvision's initial class bias scores everything about 0.01 (FCOS: 0.07 with centre-ness), under the default
        // thresholds: threshold 0 keeps the best ones.
        using var model = DetectionModels.Create(name, options: new DetectionOptions { MinSize = 128, MaxSize = 160, ScoreThresh = 0, DetectionsPerImg = 20 });
        // Sigmoid scores over the 91 classes, class 0 included; each above 0.
        DetectorFixtures.DetectsWellFormed(model, Backbone(model).Body, (20, 20), firstLabel: 0, lowestScore: float.Epsilon);
    }

    [Theory]
    // Rates that lower each model's loss clearly in one step (FCOS's first step at 1e-2 overshoots).
    [InlineData("retinanet_resnest50d_fpn", 1e-2, new[] { "classification", "bbox_regression" })]
    [InlineData("fcos_resnest50d_fpn", 1e-4, new[] { "classification", "bbox_regression", "bbox_ctrness" })]
    public void One_sgd_step_lowers_the_loss_on_a_tiny_image(string name, double rate, string[] lossNames)
    {
        random.manual_seed(24);
        using var model = DetectionModels.Create(name, options: new DetectionOptions { MinSize = 64, MaxSize = 96 });
        using var pattern = DetectorFixtures.Image(0, 64, 96);
        using var image = pattern.to(ScalarType.Float32);
        using var boxes = tensor(new float[] { 8, 6, 40, 50, 30, 20, 90, 60 }, new long[] { 2, 4 });
        using var labels = tensor(new long[] { 5, 7 });
        var targets = new[] { new DetectionTarget(boxes, labels) };

        double before = TotalLoss(model, image, targets, lossNames, rate);
        double after = TotalLoss(model, image, targets, lossNames, rate: null);

        output.WriteLine($"{name}: total loss {before:R} -> {after:R}");
        after.Should().BeLessThan(before);
    }

    [Fact]
    public void Returned_stages_that_do_not_end_with_the_last_are_refused_before_the_body_is_built()
    {
        using var extra = new LastLevelP6P7(256, 256);
        var act = () => new ResNetFpnBackbone(ModelZoo.Config("resnest50d"), 3, new[] { 2, 3 }, extra);
        act.Should().Throw<ArgumentException>().WithMessage(
            "returnedStages must be increasing stage numbers from 1 to 4 ending with 4, such as [2, 3, 4], got [2, 3]. (Parameter 'returnedStages')");
    }

    private static ResNetFpnBackbone Backbone(Detector model) => model switch
    {
        RetinaNet retinaNet => retinaNet.Backbone.Should().BeOfType<ResNetFpnBackbone>().Subject,
        Fcos fcos => fcos.Backbone.Should().BeOfType<ResNetFpnBackbone>().Subject,
        _ => throw new ArgumentException($"Expected a RetinaNet or an FCOS, got {model.GetType().Name}.", nameof(model)),
    };

    /// <summary>The summed losses; with a <paramref name="rate"/>, then one SGD step on the trainable parameters.</summary>
    private static double TotalLoss(Detector model, Tensor image, DetectionTarget[] targets, string[] lossNames, double? rate)
    {
        using var scope = NewDisposeScope();
        var losses = model.Losses(new[] { image }, targets);
        losses.Keys.Should().BeEquivalentTo(lossNames);
        var total = losses.Values.Aggregate((a, b) => a.add(b, HeldScalars.One));
        double value = total.item<float>();
        if (rate is { } r)
        {
            model.zero_grad();
            total.backward();
            using Scalar step = -r;
            using (no_grad())
            {
                foreach (var parameter in model.parameters().Where(p => p.requires_grad && p.grad is not null))
                    parameter.add_(parameter.grad!, step);
            }
        }
        return value;
    }
}
