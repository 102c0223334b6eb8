using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using FluentAssertions;
using ResNeStBlocks.Detection.Models;
using ResNeStBlocks.Hub;
using ResNeStBlocks.Testing;
using ResNeStBlocks.Tests.Detection;
using ResNeStBlocks.Tests.Weights;
using ResNeStBlocks.Weights;
using ResNeStBlocks.Zoo;
using Xunit;
using static TorchSharp.torch;

namespace ResNeStBlocks.Tests.Hub;

/// <summary>
/// Detectors created with torchvision's COCO weights, against a stand-in server on 127.0.0.1 (<see cref="FakeHub"/>).
/// The checkpoint has torchvision's exact keys and shapes (the fixture manifest of <c>fasterrcnn_resnet50_fpn</c>, written
/// by torchvision 0.14) in torch.save's zip layout; each tensor is a stride-0 view of one element of a shared storage,
/// so that the file is a few kilobytes instead of 160 MB and every key carries its own value, which the tests check
/// key by key.
/// </summary>
public sealed class DetectionPretrainedTests : IAsyncLifetime, IDisposable
{
    private const string Model = "fasterrcnn_resnet50_fpn";
    private readonly HubScratch scratch = new();
    private FakeHub hub = null!;

    private string Folder => scratch.CheckpointFolder;

    public async Task InitializeAsync() => hub = await FakeHub.StartAsync();

    public async Task DisposeAsync() => await hub.DisposeAsync();

    public void Dispose() => scratch.Dispose();

    private HubOptions TorchHub(bool offline = false) => HubScratch.TorchHubOptions(hub, Folder, offline);

    /// <summary>torchvision's keys and shapes in the manifest's (state-dict) order.</summary>
    private static IReadOnlyList<(string Key, long[] Shape)> TorchvisionKeys() =>
        DetectorFixtures.Json($"{Model}.manifest.json").GetProperty("keys").EnumerateArray()
            .Select(e => (e.GetProperty("key").GetString()!, e.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray())).ToArray();

    /// <summary>The value every element of key number <paramref name="index"/> holds in the crafted checkpoint.</summary>
    private static float ValueOf(int index) => (index + 1) / 1024f;

    /// <summary>torch.save's zip layout of an OrderedDict of torchvision's keys, tensor i a stride-0 view of element i of storage '0'.</summary>
    private static byte[] Checkpoint()
    {
        var keys = TorchvisionKeys();
        var pickle = new Pickle().Proto().Global("collections", "OrderedDict").Put(0).EmptyTuple().Reduce().Mark();
        for (int i = 0; i < keys.Count; i++)
            pickle = pickle.Str(keys[i].Key).Tensor("FloatStorage", "0", keys.Count, i, keys[i].Shape, new long[keys[i].Shape.Length]);
        var storage = Enumerable.Range(0, keys.Count).SelectMany(i => BitConverter.GetBytes(ValueOf(i))).ToArray();
        return CraftedCheckpoint.Archive(pickle.SetItems().Stop().Bytes(), ("0", storage));
    }

    /// <summary>The crafted checkpoint in torch.hub's folder under torchvision's own file name, as if torch.hub had fetched it.</summary>
    private void PlaceAsTorchvisions()
    {
        Directory.CreateDirectory(Folder);
        File.WriteAllBytes(Path.Combine(Folder, TorchvisionWeights.FasterRcnnResNet50Fpn), Checkpoint());
    }

    /// <summary>Every key of the checkpoint outside <paramref name="except"/> holds its own value in the model.</summary>
    private static void ShouldHoldTheCheckpoint(Detector model, params string[] except)
    {
        var state = model.state_dict();
        var keys = TorchvisionKeys();
        for (int i = 0; i < keys.Count; i++)
        {
            if (except.Any(p => keys[i].Key.StartsWith(p, StringComparison.Ordinal)))
                continue;
            var tensor = state[keys[i].Key];
            (tensor.min().item<float>(), tensor.max().item<float>()).Should().Be((ValueOf(i), ValueOf(i)), $"{keys[i].Key} is the checkpoint's");
        }
    }

    [Fact]
    public async Task A_checkpoint_served_under_a_torchvision_file_name_downloads_and_every_key_loads()
    {
        byte[] checkpoint = Checkpoint();
        string name = $"fasterrcnn_resnet50_fpn_coco-{FakeHub.Sha256(checkpoint)[..8]}.pth";
        hub.Checkpoints[name] = checkpoint;
        using var model = DetectionModels.Create(Model);

        string path = await WeightsSource.TorchHub($"{hub.Endpoint}/models/{name}").FetchAsync(TorchHub() with { TorchModelsUrl = "http://127.0.0.1:9/unused" });
        var result = DetectionModels.LoadCheckpoint(model, DetectionModels.Pretrained(Model), path);

        result.Should().BeEquivalentTo(new LoadResult(Array.Empty<string>(), Array.Empty<string>(), Array.Empty<string>()));
        hub.Log.Select(r => $"{r.Method} {r.Path}").Should().Equal($"HEAD /models/{name}", $"GET /models/{name}");
        File.ReadAllBytes(Path.Combine(Folder, name)).Should().Equal(checkpoint);
        ShouldHoldTheCheckpoint(model);
    }

    [Fact]
    public async Task Create_pretrained_loads_torchvisions_file_from_the_folder_with_no_request_and_offline()
    {
        PlaceAsTorchvisions();

        using (var model = await DetectionModels.CreatePretrainedAsync(Model, hub: TorchHub()))
        {
            model.Should().BeOfType<FasterRcnn>();
            model.NumClasses.Should().Be(91);
            ShouldHoldTheCheckpoint(model);
        }
        hub.Log.Should().BeEmpty("a checkpoint in torch.hub's folder costs no request");

        await hub.StopAsync();
        using (var offline = DetectionModels.CreatePretrained(Model, hub: TorchHub(offline: true)))
            ShouldHoldTheCheckpoint(offline);
    }

    [Fact]
    public async Task Another_class_count_loads_everything_but_the_box_predictor()
    {
        PlaceAsTorchvisions();
        using var model = DetectionModels.Create(Model, numClasses: 5);
        var initial = model.state_dict().Where(p => p.Key.StartsWith("roi_heads.box_predictor.", StringComparison.Ordinal))
            .ToDictionary(p => p.Key, p => p.Value.clone());

        var result = await DetectionModels.LoadPretrainedAsync(model, Model, hub: TorchHub());

        result.MissingKeys.Should().BeEmpty();
        result.UnexpectedKeys.Should().BeEmpty();
        result.SkippedKeys.Should().BeEquivalentTo("roi_heads.box_predictor.cls_score.weight", "roi_heads.box_predictor.cls_score.bias",
            "roi_heads.box_predictor.bbox_pred.weight", "roi_heads.box_predictor.bbox_pred.bias");
        ShouldHoldTheCheckpoint(model, "roi_heads.box_predictor.");
        foreach (var (key, value) in initial)
            model.state_dict()[key].eq(value).all().item<bool>().Should().BeTrue($"{key} keeps its initialisation");
        model.NumClasses.Should().Be(5);
    }

    [Fact]
    public async Task A_file_whose_bytes_do_not_match_torchvisions_name_never_loads()
    {
        hub.Checkpoints[TorchvisionWeights.FasterRcnnResNet50Fpn] = Checkpoint();   // right name, other bytes: SHA-256 does not start with 258fb6c6

        await FluentActions.Awaiting(() => DetectionModels.CreatePretrainedAsync(Model, hub: TorchHub()))
            .Should().ThrowAsync<HubException>().Where(e => e.Kind == HubErrorKind.Integrity);
        File.Exists(Path.Combine(Folder, TorchvisionWeights.FasterRcnnResNet50Fpn)).Should().BeFalse("a wrong file never lands in the folder");
    }

    [Theory]
    [InlineData("fasterrcnn_resnest50d_fpn")]
    [InlineData("retinanet_resnest50d_fpn")]
    [InlineData("fcos_resnest50d_fpn")]
    [InlineData("maskrcnn_resnest50d_fpn")]
    public async Task A_ResNeSt_body_starts_from_timms_ImageNet_weights_through_the_Hub_cache_and_the_rest_stays_initialised(string name)
    {
        string path = Path.Combine(scratch.Root, "resnest50d.safetensors");
        using (var timm = ModelZoo.Create("resnest50d"))
        {
            RandomNorms.Randomize(timm, 31);
            timm.SaveWeights(path);
        }
        HubScratch.WeightsRepo(hub, "timm/resnest50d.in1k", File.ReadAllBytes(path));
        using var model = DetectionModels.Create(name);
        var heads = model.state_dict().Where(p => !p.Key.StartsWith("backbone.body.", StringComparison.Ordinal)).ToDictionary(p => p.Key, p => p.Value.clone());

        var result = await DetectionModels.LoadPretrainedAsync(model, name, hub: scratch.Options(hub));

        result.Should().BeEquivalentTo(new LoadResult(Array.Empty<string>(), Array.Empty<string>(), new[] { "fc.weight", "fc.bias" }));
        var file = SafeTensors.Load(path);
        var state = model.state_dict();
        foreach (var (key, value) in file.Where(p => !p.Key.StartsWith("fc.", StringComparison.Ordinal)))
            state["backbone.body." + key].eq(value).all().item<bool>().Should().BeTrue($"backbone.body.{key} is timm's");
        foreach (var (key, value) in heads)
            state[key].eq(value).all().item<bool>().Should().BeTrue($"{key} keeps its initialisation");
        hub.LfsTransfers.Should().Be(1);
        foreach (var tensor in file.Values.Concat(heads.Values))
            tensor.Dispose();
    }

    [Fact]
    public void The_table_names_torchvisions_seven_checkpoints_their_class_sized_layers_and_COCOs_categories()
    {
        DetectionModels.PretrainedNames.Where(n => DetectionModels.Pretrained(n).BackbonePrefix is null)
            .Select(n => DetectionModels.Pretrained(n).Source.Id).Should().Equal(
            "https://download.pytorch.org/models/fasterrcnn_resnet50_fpn_coco-258fb6c6.pth",
            "https://download.pytorch.org/models/fasterrcnn_resnet50_fpn_v2_coco-dd69338a.pth",
            "https://download.pytorch.org/models/fcos_resnet50_fpn_coco-99b0c9b7.pth",
            "https://download.pytorch.org/models/maskrcnn_resnet50_fpn_coco-bf2d0c1e.pth",
            "https://download.pytorch.org/models/maskrcnn_resnet50_fpn_v2_coco-73cbd019.pth",
            "https://download.pytorch.org/models/retinanet_resnet50_fpn_coco-eeacb38b.pth",
            "https://download.pytorch.org/models/retinanet_resnet50_fpn_v2_coco-5905b1c5.pth");
        var faster = DetectionModels.Pretrained(Model);
        (faster.Source.Kind, faster.Source.FileName, faster.Source.Sha256, faster.NumClasses, faster.BackbonePrefix).Should().Be(
            (WeightsSourceKind.TorchHubUrl, "fasterrcnn_resnet50_fpn_coco-258fb6c6.pth", "258fb6c6", (int?)91, (string?)null));
        faster.ClassLayers.Should().Equal("roi_heads.box_predictor.");
        DetectionModels.Pretrained("retinanet_resnet50_fpn_v2").ClassLayers.Should().Equal("head.classification_head.cls_logits.");
        DetectionModels.Pretrained("fcos_resnet50_fpn").ClassLayers.Should().Equal("head.classification_head.cls_logits.");
        DetectionModels.Pretrained("maskrcnn_resnet50_fpn").ClassLayers.Should().Equal("roi_heads.box_predictor.", "roi_heads.mask_predictor.mask_fcn_logits.");
        DetectionModels.Pretrained("maskrcnn_resnet50_fpn").IsClassLayer("roi_heads.mask_predictor.conv5_mask.weight").Should().BeFalse();

        var coco = TorchvisionWeights.CocoCategories;
        coco.Should().HaveCount(91).And.BeSameAs(faster.Categories);
        (coco[0], coco[1], coco[12], coco[18], coco[90]).Should().Be(("__background__", "person", "N/A", "dog", "toothbrush"));
        coco.Count(c => c == "N/A").Should().Be(10, "COCO never used 10 of its 90 category ids");
        coco.Where((c, i) => c == "N/A").Should().HaveCount(10);
        Enumerable.Range(0, 91).Where(i => coco[i] == "N/A").Should().Equal(12, 26, 29, 30, 45, 66, 68, 69, 71, 83);

        FluentActions.Invoking(() => DetectionModels.Pretrained("fasterrcnn_resnet101_fpn")).Should().Throw<ArgumentException>().WithParameterName("name")
            .WithMessage("No published detection weights for 'fasterrcnn_resnet101_fpn'; known: fasterrcnn_resnest101e_fpn, fasterrcnn_resnest50d_fpn, "
                + "fasterrcnn_resnet50_fpn, fasterrcnn_resnet50_fpn_v2, fcos_resnest101e_fpn, fcos_resnest50d_fpn, fcos_resnet50_fpn, maskrcnn_resnest101e_fpn, "
                + "maskrcnn_resnest50d_fpn, maskrcnn_resnet50_fpn, maskrcnn_resnet50_fpn_v2, retinanet_resnest101e_fpn, retinanet_resnest50d_fpn, retinanet_resnet50_fpn, retinanet_resnet50_fpn_v2. (Parameter 'name')");
        var body = DetectionModels.Pretrained("fasterrcnn_resnest101e_fpn");
        (body.Source.Id, body.BackbonePrefix, body.NumClasses, body.Categories).Should().Be(
            ("timm/resnest101e.in1k", "backbone.body.", (int?)null, (IReadOnlyList<string>?)null));
        foreach (var (name, timm) in new[] { ("retinanet_resnest50d_fpn", "resnest50d"), ("retinanet_resnest101e_fpn", "resnest101e"),
            ("fcos_resnest50d_fpn", "resnest50d"), ("fcos_resnest101e_fpn", "resnest101e") })
        {
            var oneStage = DetectionModels.Pretrained(name);
            (oneStage.Source.Id, oneStage.BackbonePrefix, oneStage.NumClasses).Should().Be(($"timm/{timm}.in1k", "backbone.body.", (int?)null), name);
            oneStage.ClassLayers.Should().Equal("head.classification_head.cls_logits.");
        }
    }
}
