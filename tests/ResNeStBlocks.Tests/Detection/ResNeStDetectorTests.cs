using System;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using FluentAssertions;
using ResNeStBlocks.Backbones;
using ResNeStBlocks.Detection.Models;
using ResNeStBlocks.Hub;
using ResNeStBlocks.Testing;
using ResNeStBlocks.Weights;
using ResNeStBlocks.Zoo;
using TorchSharp.Modules;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace ResNeStBlocks.Tests.Detection;

/// <summary>
/// Faster R-CNN on the library's ResNeSt bodies (<see cref="ResNetDetectionBody"/>): timm's keys under
/// <c>backbone.body.</c>, torchvision's everywhere else, the exact parameter count, frozen BatchNorms and first stages,
/// the features of timm's model (fixture <c>tiny_resnest_2s1x64d</c>) in either mode, detections on a small image, and
/// timm's ImageNet weights through the Hub stand-in.
/// </summary>
public sealed class ResNeStDetectorTests(ITestOutputHelper output)
{
    /// <summary>The keys outside backbone.body of torchvision's model (fpn, rpn, roi_heads), from its manifest.</summary>
    private static string[] TorchvisionHeadKeys(string torchvisionModel) =>
        DetectorFixtures.Json($"{torchvisionModel}.manifest.json").GetProperty("keys").EnumerateArray()
            .Select(e => e.GetProperty("key").GetString()!).Where(k => !k.StartsWith("backbone.body.", StringComparison.Ordinal))
            .OrderBy(k => k, StringComparer.Ordinal).ToArray();

    /// <summary>timm's state-dict keys of a full model (tests/fixtures/timm/manifests), its classifier left out.</summary>
    private static string[] TimmBodyKeys(string model) =>
        Manifest.Load(model).StateDict.Select(p => p.Key)
            .Where(k => !k.StartsWith("fc.", StringComparison.Ordinal)).OrderBy(k => k, StringComparer.Ordinal).ToArray();

    [Theory]
    // timm's parameters (resnest50d 27,483,240; resnest101e 48,275,016) minus its classifier (2048 x 1000 + 1000 =
    // 2,049,000), plus torchvision's pyramid, RPN and box heads with 91 classes (41,808,406 - 23,508,032 = 18,300,374).
    // Mask R-CNN adds torchvision's mask head and predictor: 44,401,393 - 41,755,286 = 2,646,107.
    [InlineData("fasterrcnn_resnest50d_fpn", "resnest50d", "fasterrcnn_resnet50_fpn", 43_734_614)]
    [InlineData("fasterrcnn_resnest101e_fpn", "resnest101e", "fasterrcnn_resnet50_fpn", 64_526_390)]
    [InlineData("maskrcnn_resnest50d_fpn", "resnest50d", "maskrcnn_resnet50_fpn", 46_380_721)]
    [InlineData("maskrcnn_resnest101e_fpn", "resnest101e", "maskrcnn_resnet50_fpn", 67_172_497)]
    public void Keys_are_timms_under_the_body_and_torchvisions_elsewhere_with_the_exact_parameter_count(string name, string timm, string torchvisionModel, long parameters)
    {
        using var model = DetectionModels.Create(name);
        var keys = model.state_dict().Keys.ToArray();

        keys.Where(k => k.StartsWith("backbone.body.", StringComparison.Ordinal)).Select(k => k["backbone.body.".Length..])
            .OrderBy(k => k, StringComparer.Ordinal).Should().Equal(TimmBodyKeys(timm));
        keys.Where(k => !k.StartsWith("backbone.body.", StringComparison.Ordinal)).OrderBy(k => k, StringComparer.Ordinal).Should().Equal(TorchvisionHeadKeys(torchvisionModel));
        model.parameters().Sum(p => p.numel()).Should().Be(parameters);
        ((FasterRcnn)model).Backbone.Should().BeOfType<ResNetFpnBackbone>();
    }

    [Fact]
    public void The_stem_the_first_stage_and_every_BatchNorm_are_frozen_and_the_norms_stay_in_eval_mode()
    {
        using var model = DetectionModels.Create("fasterrcnn_resnest50d_fpn");
        var body = ((ResNetFpnBackbone)((FasterRcnn)model).Backbone).Body;
        var norms = body.named_modules().Where(m => m.module is BatchNorm2d).Select(m => m.name + ".").ToArray();

        var trainable = body.named_parameters().Where(p => p.parameter.requires_grad).Select(p => p.name).ToArray();
        trainable.Should().OnlyContain(k => k.StartsWith("layer2.") || k.StartsWith("layer3.") || k.StartsWith("layer4."), "trainable_backbone_layers = 3");
        trainable.Should().NotContain(k => norms.Any(n => k.StartsWith(n, StringComparison.Ordinal)), "BatchNorm affine terms are frozen");
        trainable.Should().Contain("layer2.0.conv2.conv.weight").And.Contain("layer4.2.conv3.weight");
        body.named_parameters().Where(p => !p.parameter.requires_grad).Sum(p => p.parameter.numel()).Should().BeGreaterThan(0);
        norms.Length.Should().Be(body.modules().OfType<BatchNorm2d>().Count());

        model.train();
        model.training.Should().BeTrue();
        body.modules().OfType<BatchNorm2d>().Should().OnlyContain(n => !n.training, "the norms stay frozen in training mode");
        body.modules().OfType<Conv2d>().Should().OnlyContain(c => c.training);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void The_frozen_body_gives_timms_features_in_either_mode(bool trainingMode)
    {
        var c = Fixtures.Case("tiny_resnest_2s1x64d");
        using var body = new ResNetDetectionBody(TimmModules.Config(c));
        var result = body.LoadWeights(Fixtures.File("timm", c.WeightsFile), skip: k => k.StartsWith("fc.", StringComparison.Ordinal));
        result.MissingKeys.Should().BeEmpty();
        result.SkippedKeys.Should().BeEquivalentTo("fc.weight", "fc.bias");
        body.train(trainingMode);

        using var scope = NewDisposeScope();
        var io = SafeTensors.Load(Fixtures.File("timm", c.IoFile));
        using var _ = no_grad();
        var features = body.call(io["input"]);
        features.Should().HaveCount(4);
        for (int i = 0; i < 4; i++)
        {
            TensorAssert.Close(features[i], io[$"feature_{i}"], 1e-4, 1e-4, $"C{i + 2}, training mode {trainingMode}");
            output.WriteLine($"C{i + 2}: max |difference| {features[i].add(io[$"feature_{i}"].neg(), HeldScalars.One).abs().max().item<float>():E2}");
        }
        var file = SafeTensors.Load(Fixtures.File("timm", c.WeightsFile));
        foreach (var key in new[] { "bn1.running_mean", "bn1.running_var", "bn1.num_batches_tracked", "layer4.0.bn3.running_var" })
            body.state_dict()[key].eq(file[key]).all().item<bool>().Should().BeTrue($"{key} is not updated by a forward in training mode {trainingMode}");
    }

    [Fact]
    public void Detect_on_a_small_float32_image_returns_well_formed_detections()
    {
        using var model = DetectionModels.Create("fasterrcnn_resnest50d_fpn",
            options: new DetectionOptions { MinSize = 128, MaxSize = 160, BoxScoreThresh = 0, RpnPreNmsTopNTest = 200, RpnPostNmsTopNTest = 50, BoxDetectionsPerImg = 20 });
        DetectorFixtures.DetectsWellFormed(model, ((ResNetFpnBackbone)((FasterRcnn)model).Backbone).Body, (1, 20), firstLabel: 1, lowestScore: 0);
    }
}
