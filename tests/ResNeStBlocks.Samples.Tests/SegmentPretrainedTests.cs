using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using FluentAssertions;
using ResNeStBlocks.Dense;
using ResNeStBlocks.Hub;
using ResNeStBlocks.Samples.Progress;
using ResNeStBlocks.Samples.Segment;
using ResNeStBlocks.Testing;
using ResNeStBlocks.Weights;
using Xunit;
using static TorchSharp.torch;

namespace ResNeStBlocks.Samples.Tests;

/// <summary>
/// Segment <c>--pretrained [imagenet|torchvision]</c> against the stand-in servers: timm's ImageNet weights into the
/// backbone through the Hub's cache, torchvision's COCO checkpoint (backbone and heads) through torch.hub's folder.
/// </summary>
public sealed class SegmentPretrainedTests : IAsyncLifetime, IDisposable
{
    private readonly HubScratch scratch = new();
    private FakeHub hub = null!;
    private byte[] weights = null!;

    public async Task InitializeAsync()
    {
        hub = await FakeHub.StartAsync();
        weights = HubWeights.ZooWeights("resnet50", id: 5, scratch.Root);
        HubScratch.WeightsRepo(hub, "timm/resnet50.tv_in1k", weights);
    }

    public async Task DisposeAsync() => await hub.DisposeAsync();

    public void Dispose() => scratch.Dispose();

    private HubOptions TorchHub(bool offline = false) => HubScratch.TorchHubOptions(hub, scratch.CheckpointFolder, offline) with { CacheDirectory = scratch.Cache };

    private static SegmentOptions Parse(params string[] args) => SegmentOptions.Parse(new[] { "--data", "data" }.Concat(args).ToArray())!;

    [Fact]
    public void A_bare_pretrained_means_torchvisions_checkpoint_where_torchvision_publishes_one_and_timms_backbone_elsewhere()
    {
        SegmentPretrained.DefaultSource("deeplabv3_resnet50").Should().Be(PretrainedSource.Torchvision);
        SegmentPretrained.DefaultSource("fcn_resnet101").Should().Be(PretrainedSource.Torchvision);
        SegmentPretrained.DefaultSource("deeplabv3_resnest50d").Should().Be(PretrainedSource.ImageNet);
        SegmentPretrained.DefaultSource("deeplabv3plus_resnet50").Should().Be(PretrainedSource.ImageNet, "torchvision has no DeepLabV3+");
        SegmentPretrained.TorchvisionModels.Should().Equal("deeplabv3_resnet101", "deeplabv3_resnet50", "fcn_resnet101", "fcn_resnet50");

        Parse("--model", "deeplabv3_resnet50", "--pretrained").PretrainedSourceInEffect.Should().Be(PretrainedSource.Torchvision);
        Parse("--pretrained", "--model", "deeplabv3_resnest50d").PretrainedSourceInEffect.Should().Be(PretrainedSource.ImageNet, "the model named after --pretrained decides");
        var imagenet = Parse("--model", "deeplabv3_resnet50", "--pretrained", "imagenet", "--epochs", "2");
        (imagenet.Pretrained, imagenet.PretrainedFrom, imagenet.PretrainedSourceInEffect, imagenet.Epochs).Should().Be((true, PretrainedSource.ImageNet, PretrainedSource.ImageNet, 2));
        Parse("--model", "fcn_resnet50", "--pretrained", "torchvision").PretrainedSourceInEffect.Should().Be(PretrainedSource.Torchvision);
        Parse("--model", "fcn_resnet50").Pretrained.Should().BeFalse();
    }

    [Theory]
    [InlineData(new[] { "--model", "deeplabv3_resnest50d", "--pretrained", "torchvision" },
        "error: --pretrained torchvision: torchvision publishes no segmentation weights for 'deeplabv3_resnest50d' (it does for deeplabv3_resnet101, deeplabv3_resnet50, fcn_resnet101, fcn_resnet50); use --pretrained imagenet to start its backbone from timm's ImageNet weights.")]
    [InlineData(new[] { "--model", "deeplabv3_resnet50", "--pretrained", "coco" },
        "error: --pretrained takes imagenet or torchvision (or nothing: torchvision's weights where torchvision publishes them, else imagenet), got 'coco'.")]
    public void A_source_the_model_lacks_exits_with_code_2_before_any_request(string[] extra, string message)
    {
        var error = new StringWriter();

        int exit = SegmentApp.Execute(new[] { "--data", scratch.Root }.Concat(extra).ToArray(), TextWriter.Null, error, hub: TorchHub());

        exit.Should().Be(SegmentApp.ErrorExitCode);
        error.ToString().Should().Be($"{message}{Environment.NewLine}Run with --help for usage.{Environment.NewLine}");
        hub.Log.Should().BeEmpty();
    }

    [Fact]
    public void Imagenet_starts_the_backbone_of_a_torchvision_named_model_from_timms_copy_of_torchvisions_resnet50_and_the_heads_keep_their_initialisation()
    {
        SegmentPretrained.PretrainedBackbone("deeplabv3_resnet50").Should().Be("timm/resnet50.tv_in1k", "torchvision starts its segmentation models from these");
        SegmentPretrained.PretrainedBackbone("fcn_resnest101e").Should().Be("timm/resnest101e.in1k");
        using var model = SegmentModelFactory.Create("deeplabv3_resnet50", classes: 3, dropPathRate: 0);
        var headBefore = model.Classifier.state_dict().ToDictionary(p => p.Key, p => p.Value.clone());
        var output = new StringWriter();

        string path = SegmentPretrained.Fetch("deeplabv3_resnet50", PretrainedSource.ImageNet, new PlainDownloadDisplay(output), TorchHub());
        string line = SegmentPretrained.Load(model, "deeplabv3_resnet50", 3, PretrainedSource.ImageNet, path, TorchHub());

        line.Should().Be("Weights: backbone from timm's timm/resnet50.tv_in1k; heads initialised for 3 classes.");
        output.ToString().Should().Contain("Downloading timm/resnet50.tv_in1k/model.safetensors into the Hugging Face cache");
        hub.LfsTransfers.Should().Be(1);
        hub.CheckpointTransfers.Should().Be(0);
        HubWeights.StateEquals(model.Backbone, weights, exceptClassifier: true).Should().BeTrue("every backbone tensor is timm's");
        model.Classifier.state_dict().Should().OnlyContain(p => p.Value.eq(headBefore[p.Key]).all().item<bool>(), "the DeepLab head is not in timm's file");
        foreach (var tensor in headBefore.Values)
            tensor.Dispose();
    }

    /// <summary>
    /// The full-size model (42M parameters) against a checkpoint in torchvision's format under torchvision's own file
    /// name, placed in torch.hub's folder as if torch.hub had fetched it: the name carries the real file's SHA-256
    /// prefix, which no other bytes match, so the stand-in server cannot serve it.
    /// </summary>
    [Fact]
    public void Torchvision_loads_every_tensor_of_the_coco_checkpoint_but_the_two_class_projections_which_keep_their_initialisation_for_3_classes()
    {
        string file = Path.Combine(scratch.CheckpointFolder, TorchvisionWeights.FileName("deeplabv3_resnet50"));
        Directory.CreateDirectory(scratch.CheckpointFolder);
        using (var coco = SegmentationModels.Create("deeplabv3_resnet50", numClasses: 21, auxLoss: true))
        {
            RandomNorms.Randomize(coco, 21);
            using (no_grad())
                foreach (var (key, tensor) in coco.state_dict().Where(p => p.Key.EndsWith(".num_batches_tracked", StringComparison.Ordinal)))
                    tensor.fill_(7);
            PthWriter.Save(coco.state_dict(), file);
        }
        var checkpoint = PyTorchCheckpoint.Load(file);
        using var model = SegmentModelFactory.Create("deeplabv3_resnet50", classes: 3, dropPathRate: 0);
        var before = StateSnapshot.Bytes(model);
        before.Where(p => p.Value.SequenceEqual(Bytes(checkpoint[p.Key]))).Should().BeEmpty("the test means something only if no tensor starts equal");
        var output = new StringWriter();

        var source = SegmentPretrained.DefaultSource("deeplabv3_resnet50");
        string path = SegmentPretrained.Fetch("deeplabv3_resnet50", source, new PlainDownloadDisplay(output), TorchHub());
        string line = SegmentPretrained.Load(model, "deeplabv3_resnet50", 3, source, path, TorchHub());

        line.Should().Be("Weights: torchvision's deeplabv3_resnet50_coco-cd0a2569.pth (COCO, VOC's 21 classes); classifier.4 and aux_classifier.4 initialised for 3 classes.");
        output.ToString().Should().BeEmpty("a checkpoint in torch.hub's folder is neither downloaded nor shown");
        hub.Log.Should().BeEmpty();
        var after = StateSnapshot.Bytes(model);
        after.Keys.Should().BeEquivalentTo(checkpoint.Keys);
        var fresh = new[] { "classifier.4.weight", "classifier.4.bias", "aux_classifier.4.weight", "aux_classifier.4.bias" };
        foreach (var (key, bytes) in after)
            bytes.Should().Equal(fresh.Contains(key) ? before[key] : Bytes(checkpoint[key]), fresh.Contains(key) ? $"{key} keeps its initialisation" : $"{key} is the checkpoint's");
        model.state_dict()["classifier.4.weight"].shape.Should().Equal(3, 256, 1, 1);
        foreach (var tensor in checkpoint.Values)
            tensor.Dispose();
    }

    [Fact]
    public void Offline_without_the_checkpoint_in_torch_hubs_folder_the_run_stops_with_code_2_before_building_the_model()
    {
        string data = Path.Combine(scratch.Root, "data");
        DemoScenes.Write(data, count: 4, seed: 2, minSide: 40, maxSide: 48);
        var output = new StringWriter();
        var error = new StringWriter();

        int exit = SegmentApp.Execute(new[] { "--data", data, "--model", "deeplabv3_resnet50", "--pretrained", "--batch-size", "2", "--out", Path.Combine(scratch.Root, "out") },
            output, error, hub: TorchHub(offline: true));

        exit.Should().Be(SegmentApp.ErrorExitCode);
        error.ToString().Should().Be(
            $"error: deeplabv3_resnet50_coco-cd0a2569.pth is not in the checkpoint folder {scratch.CheckpointFolder}, and offline mode is on (HF_HUB_OFFLINE=1), so it cannot be downloaded. " +
            "Unset HF_HUB_OFFLINE to download it once, or copy it from a torch.hub checkpoint folder that has it ($TORCH_HOME/hub/checkpoints). " +
            $"Or download {hub.Endpoint}/models/deeplabv3_resnet50_coco-cd0a2569.pth on a machine that can reach it and load the file with module.LoadWeights(path).{Environment.NewLine}");
        output.ToString().Should().StartWith("Data: ").And.NotContain("Model:");
        hub.Log.Should().BeEmpty();
    }

    [Fact]
    public void A_checkpoint_not_yet_in_the_folder_is_downloaded_once_with_progress_lines_and_then_read_from_the_folder()
    {
        byte[] bytes = new byte[300_000];
        new Random(3).NextBytes(bytes);
        string name = $"fcn_resnet50_coco-{FakeHub.Sha256(bytes)[..8]}.pth";
        hub.Checkpoints[name] = bytes;
        var output = new StringWriter();

        string path = WeightsDownload.FetchCheckpoint(name, new PlainDownloadDisplay(output), TorchHub());
        string again = WeightsDownload.FetchCheckpoint(name, new PlainDownloadDisplay(output), TorchHub());

        (path, again).Should().Be((Path.Combine(scratch.CheckpointFolder, name), path));
        File.ReadAllBytes(path).Should().Equal(bytes);
        hub.CheckpointTransfers.Should().Be(1);
        var lines = output.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        lines[0].Should().Be($"Downloading {name} into torch.hub's checkpoint folder");
        lines[^1].Should().Be($"Saved {path}", "the second fetch shows nothing");
        lines.Should().Contain(l => l.TrimStart().StartsWith("100%", StringComparison.Ordinal));
    }

    private static byte[] Bytes(Tensor tensor) => tensor.contiguous().bytes.ToArray();
}
