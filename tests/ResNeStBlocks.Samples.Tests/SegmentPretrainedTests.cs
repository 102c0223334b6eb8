using System;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using FluentAssertions;
using ResNeStBlocks.Samples.Progress;
using ResNeStBlocks.Samples.Segment;
using ResNeStBlocks.Testing;
using ResNeStBlocks.Weights;
using ResNeStBlocks.Zoo;
using Xunit;

namespace ResNeStBlocks.Samples.Tests;

/// <summary>Segment <c>--pretrained</c> against the stand-in Hub: the backbone starts from timm's ImageNet weights, the heads stay initialised.</summary>
public sealed class SegmentPretrainedTests : IAsyncLifetime, IDisposable
{
    private readonly HubScratch scratch = new();
    private FakeHub hub = null!;
    private byte[] weights = null!;

    public async Task InitializeAsync()
    {
        hub = await FakeHub.StartAsync();
        weights = HubWeights.ZooWeights("resnet50", id: 5, scratch.Root);
        var repo = new FakeRepo { Id = "timm/resnet50.tv_in1k", Commit = HubScratch.Commit };
        repo.Files["model.safetensors"] = weights;
        hub.Add(repo);
    }

    public async Task DisposeAsync() => await hub.DisposeAsync();

    public void Dispose() => scratch.Dispose();

    [Fact]
    public void The_backbone_of_a_torchvision_named_model_loads_timms_copy_of_torchvisions_resnet50_and_the_heads_keep_their_initialisation()
    {
        SegmentModelFactory.PretrainedBackbone("deeplabv3_resnet50").Should().Be("timm/resnet50.tv_in1k", "torchvision starts its segmentation models from these");
        SegmentModelFactory.PretrainedBackbone("fcn_resnest101e").Should().Be("timm/resnest101e.in1k");
        using var model = SegmentModelFactory.Create("deeplabv3_resnet50", classes: 3, dropPathRate: 0);
        var headBefore = model.Classifier.state_dict().ToDictionary(p => p.Key, p => p.Value.clone());
        var output = new StringWriter();

        string repository = SegmentModelFactory.LoadPretrainedBackbone(model, "deeplabv3_resnet50", new PlainDownloadDisplay(output), scratch.Options(hub));

        repository.Should().Be("timm/resnet50.tv_in1k");
        output.ToString().Should().Contain($"Downloading {repository}/model.safetensors into the Hugging Face cache");
        hub.LfsTransfers.Should().Be(1);
        HubWeights.StateEquals(model.Backbone, weights, exceptClassifier: true).Should().BeTrue("every backbone tensor is timm's");
        model.Classifier.state_dict().Should().OnlyContain(p => p.Value.eq(headBefore[p.Key]).all().item<bool>(), "the DeepLab head is not in timm's file");
        foreach (var tensor in headBefore.Values)
            tensor.Dispose();
    }
}
