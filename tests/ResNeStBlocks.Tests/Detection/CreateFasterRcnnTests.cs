using System;
using System.Linq;
using FluentAssertions;
using ResNeStBlocks.Dense;
using ResNeStBlocks.Detection.Models;
using Xunit;
using static TorchSharp.torch;

namespace ResNeStBlocks.Tests.Detection;

public sealed class CreateFasterRcnnTests
{
    [Fact]
    public void Defaults_on_the_resnet50_backbone_give_fasterrcnn_resnet50_fpn()
    {
        using var custom = DetectionModels.CreateFasterRcnn(new DetectionBackbone(new[] { 3, 4, 6, 3 }, trainableLayers: 3), 91);
        using var named = DetectionModels.Create("fasterrcnn_resnet50_fpn");

        custom.state_dict().Select(p => (p.Key, string.Join(",", p.Value.shape))).Should().Equal(named.state_dict().Select(p => (p.Key, string.Join(",", p.Value.shape))));
        custom.parameters().Sum(p => p.numel()).Should().Be(41_755_286);
    }

    [Fact]
    public void A_small_backbone_trains_and_detects()
    {
        var backbone = new DetectionBackbone(new[] { 1, 1, 1, 1 }, trainableLayers: 5, new[] { 1, 2, 3, 4 }, new LastLevelMaxPool(), BodyNorm.BatchNorm, outChannels: 32);
        using var model = DetectionModels.CreateFasterRcnn(backbone, 3, new DetectionOptions { MinSize = 64, MaxSize = 64 },
            new[] { 8.0, 16.0, 32.0, 64.0, 128.0 }, representationSize: 64);
        using var image = rand(3, 64, 64);
        using var boxes = tensor(new float[] { 4, 4, 30, 30 }, new long[] { 1, 4 });
        using var labels = tensor(new long[] { 2 });

        var losses = model.Losses(new[] { image }, new[] { new DetectionTarget(boxes, labels) });
        var found = model.Detect(new[] { image });

        losses.Keys.Should().BeEquivalentTo("loss_classifier", "loss_box_reg", "loss_objectness", "loss_rpn_box_reg");
        model.RoiHeads.BoxPredictor.NumClasses.Should().Be(3);
        found[0].Boxes.shape[1].Should().Be(4);
        foreach (var loss in losses.Values)
            loss.Dispose();
        found[0].Dispose();
    }

    [Fact]
    public void Anchor_sizes_must_give_one_per_level()
    {
        var backbone = new DetectionBackbone(new[] { 1, 1, 1, 1 }, trainableLayers: 3, new[] { 2, 3, 4 }, new LastLevelMaxPool(), BodyNorm.FrozenBatchNorm, outChannels: 32);

        var act = () => DetectionModels.CreateFasterRcnn(backbone, 3, anchorSizes: new[] { 16.0, 32.0 });

        act.Should().Throw<ArgumentException>().WithMessage(
            "anchorSizes must hold one positive size per pyramid level (4: the 3 returned stages and 'pool'), got [16, 32]. (Parameter 'anchorSizes')");
        backbone.Dispose();
    }

    [Fact]
    public void A_pyramid_without_the_pool_level_is_refused()
    {
        using var backbone = new DetectionBackbone(new[] { 1, 1, 1, 1 }, trainableLayers: 3, new[] { 2, 3, 4 }, new LastLevelP6P7(32, 32), BodyNorm.FrozenBatchNorm, outChannels: 32);

        var act = () => DetectionModels.CreateFasterRcnn(backbone, 3);

        act.Should().Throw<ArgumentException>().WithMessage(
            "A Faster R-CNN's pyramid ends with LastLevelMaxPool (its 'pool' level), got LastLevelP6P7; build the DetectionBackbone with new LastLevelMaxPool(). (Parameter 'backbone')");
    }
}
