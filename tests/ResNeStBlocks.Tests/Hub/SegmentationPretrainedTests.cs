using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using FluentAssertions;
using ResNeStBlocks.Backbones;
using ResNeStBlocks.Dense;
using ResNeStBlocks.Hub;
using ResNeStBlocks.Preprocessing;
using ResNeStBlocks.Testing;
using ResNeStBlocks.Weights;
using ResNeStBlocks.Zoo;
using Xunit;
using static TorchSharp.torch;

namespace ResNeStBlocks.Tests.Hub;

/// <summary>
/// Segmentation models created with pretrained weights, against a stand-in server on 127.0.0.1 (<see cref="FakeHub"/>):
/// torchvision's checkpoints through torch.hub's folder (a reduced torchvision FCN written by torch.save, whose outputs
/// the fixture holds), the rule for another class count or no auxiliary head, and timm's weights for a ResNeSt backbone
/// through the Hugging Face Hub's cache.
/// </summary>
public sealed class SegmentationPretrainedTests : IAsyncLifetime, IDisposable
{
    private static readonly TorchvisionCase Fcn = TorchvisionFixtures.Case("fcn_resnet50_tiny");
    private readonly HubScratch scratch = new();
    private FakeHub hub = null!;

    private string Folder => scratch.CheckpointFolder;

    private static byte[] Checkpoint => File.ReadAllBytes(Fixtures.File("torchvision", "models", "fcn_resnet50_tiny.pth"));

    /// <summary>fcn_resnet50 reduced to the fixture's depth and width; 3 classes is the fixture's class count.</summary>
    private static ResNetConfig Reduced(ResNetConfig config) => config with { Layers = Fcn.Ints("layers"), Channels = Fcn.Ints("channels") };

    public async Task InitializeAsync() => hub = await FakeHub.StartAsync();

    public async Task DisposeAsync() => await hub.DisposeAsync();

    public void Dispose() => scratch.Dispose();

    private HubOptions TorchHub(bool offline = false) => HubScratch.TorchHubOptions(hub, Folder, offline);

    /// <summary>The reduced checkpoint in torch.hub's folder under torchvision's own file name, as if torch.hub had fetched it.</summary>
    private void PlaceAsTorchvisionsFcn()
    {
        Directory.CreateDirectory(Folder);
        File.WriteAllBytes(Path.Combine(Folder, TorchvisionWeights.FcnResNet50), Checkpoint);
    }

    private static void AssertFixtureOutputs(SegmentationModel model, string what)
    {
        using var scope = NewDisposeScope();
        var io = Fcn.LoadIo();
        model.eval();
        using var _ = no_grad();
        var output = model.ForwardWithAux(io["input"]);
        var (atol, rtol) = TorchvisionFixtures.Tolerance;
        TensorAssert.Close(output.Out, io["out"], atol, rtol, what + " out");
        TensorAssert.Close(output.Aux!, io["aux"], atol, rtol, what + " aux");
    }

    [Fact]
    public async Task A_reduced_checkpoint_served_under_a_torchvision_file_name_downloads_loads_and_gives_torchvisions_outputs()
    {
        byte[] checkpoint = Checkpoint;
        string name = $"fcn_resnet50_coco-{FakeHub.Sha256(checkpoint)[..8]}.pth";
        hub.Checkpoints[name] = checkpoint;
        using var model = SegmentationModels.Create("fcn_resnet50", numClasses: 3, configure: Reduced);

        string path = await WeightsSource.TorchHub($"{hub.Endpoint}/models/{name}").FetchAsync(TorchHub() with { TorchModelsUrl = "http://127.0.0.1:9/unused" });
        var result = SegmentationModels.LoadTorchvisionCheckpoint(model, path);

        result.Should().BeEquivalentTo(new LoadResult(Array.Empty<string>(), Array.Empty<string>(), Array.Empty<string>()));
        hub.Log.Select(r => $"{r.Method} {r.Path}").Should().Equal($"HEAD /models/{name}", $"GET /models/{name}");
        File.ReadAllBytes(Path.Combine(Folder, name)).Should().Equal(checkpoint);
        AssertFixtureOutputs(model, "downloaded checkpoint");
    }

    [Fact]
    public async Task Create_pretrained_loads_torchvisions_file_from_the_folder_with_no_request_and_offline()
    {
        PlaceAsTorchvisionsFcn();

        using (var model = await SegmentationModels.CreatePretrainedAsync("fcn_resnet50", numClasses: 3, configure: Reduced, hub: TorchHub()))
            AssertFixtureOutputs(model, "cached checkpoint");
        hub.Log.Should().BeEmpty("a checkpoint in torch.hub's folder costs no request");

        await hub.StopAsync();
        using (var offline = SegmentationModels.CreatePretrained("fcn_resnet50", numClasses: 3, configure: Reduced, hub: TorchHub(offline: true)))
            AssertFixtureOutputs(offline, "offline");
        var missing = await FluentActions.Awaiting(() => SegmentationModels.CreatePretrainedAsync("deeplabv3_resnet50", hub: TorchHub(offline: true)))
            .Should().ThrowAsync<HubException>().Where(e => e.Kind == HubErrorKind.Offline);
        missing.Which.FileName.Should().Be(TorchvisionWeights.DeepLabV3ResNet50);
    }

    [Fact]
    public async Task Another_class_count_loads_everything_but_the_two_class_projections()
    {
        PlaceAsTorchvisionsFcn();
        using var model = SegmentationModels.Create("fcn_resnet50", numClasses: 7, configure: Reduced);
        var initial = Snapshot(model, "classifier.4.", "aux_classifier.4.");

        var result = await SegmentationModels.LoadPretrainedAsync(model, "fcn_resnet50", hub: TorchHub());

        result.MissingKeys.Should().BeEmpty();
        result.UnexpectedKeys.Should().BeEmpty();
        result.SkippedKeys.Should().BeEquivalentTo("classifier.4.weight", "classifier.4.bias", "aux_classifier.4.weight", "aux_classifier.4.bias");
        StateMatches(model, exceptPrefixes: new[] { "classifier.4.", "aux_classifier.4." }).Should().BeTrue();
        foreach (var (key, value) in initial)
            model.state_dict()[key].allclose(value, rtol: 0, atol: 0).Should().BeTrue($"{key} keeps its initialisation");
        model.NumClasses.Should().Be(7);
    }

    [Fact]
    public async Task Without_the_auxiliary_head_the_checkpoints_head_is_left_out_and_the_output_is_torchvisions()
    {
        PlaceAsTorchvisionsFcn();
        using var model = await SegmentationModels.CreatePretrainedAsync("fcn_resnet50", numClasses: 3, auxLoss: false, configure: Reduced, hub: TorchHub());
        using var fresh = SegmentationModels.Create("fcn_resnet50", numClasses: 3, auxLoss: false, configure: Reduced);

        var result = await SegmentationModels.LoadPretrainedAsync(fresh, "fcn_resnet50", hub: TorchHub());

        result.SkippedKeys.Should().BeEquivalentTo(PthKeys().Where(k => k.StartsWith("aux_classifier.", StringComparison.Ordinal)));
        result.SkippedKeys.Should().HaveCount(8, "the auxiliary FCNHead: conv (1 tensor), BatchNorm (5), final conv (2)");
        model.AuxClassifier.Should().BeNull();
        using var scope = NewDisposeScope();
        var io = Fcn.LoadIo();
        model.eval();
        using var _ = no_grad();
        TensorAssert.Close(model.call(io["input"]), io["out"], 1e-4, 1e-4, "out without the auxiliary head");
    }

    [Fact]
    public async Task A_file_whose_bytes_do_not_match_torchvisions_name_never_loads()
    {
        hub.Checkpoints[TorchvisionWeights.FcnResNet50] = Checkpoint;   // right name, other bytes: SHA-256 does not start with 1167a1af

        await FluentActions.Awaiting(() => SegmentationModels.CreatePretrainedAsync("fcn_resnet50", numClasses: 3, configure: Reduced, hub: TorchHub()))
            .Should().ThrowAsync<HubException>().Where(e => e.Kind == HubErrorKind.Integrity);
        File.Exists(Path.Combine(Folder, TorchvisionWeights.FcnResNet50)).Should().BeFalse("a wrong file never lands in the folder");
    }

    [Fact]
    public async Task A_configuration_that_changes_the_shapes_is_refused_naming_them()
    {
        PlaceAsTorchvisionsFcn();
        var act = () => SegmentationModels.CreatePretrainedAsync("fcn_resnet50", numClasses: 3,
            configure: c => Reduced(c) with { Channels = new[] { 8, 16, 16, 32 } }, hub: TorchHub());
        var thrown = await act.Should().ThrowAsync<StateDictMismatchException>();
        thrown.Which.Message.Should().Contain("backbone.layer4.0.conv1.weight: expected shape [32, 64, 1, 1], got [24, 64, 1, 1]");
    }

    [Fact]
    public async Task A_ResNeSt_backbone_starts_from_timms_weights_through_the_Hub_cache_and_the_heads_stay_initialised()
    {
        // Widths that grow at every stage, as in the full model: dilation then keeps every stage's shortcut convolution.
        static ResNetConfig Small(ResNetConfig c) => c with { Layers = new[] { 1, 1, 1, 1 }, Channels = new[] { 8, 16, 24, 32 }, StemWidth = 8 };
        string path = Path.Combine(scratch.Root, "resnest50d-small.safetensors");
        using (var timm = new ResNet(Small(ModelZoo.Config("resnest50d")) with { NumClasses = 10 }))
        {
            RandomNorms.Randomize(timm, 47);
            timm.SaveWeights(path);
        }
        HubScratch.WeightsRepo(hub, "timm/resnest50d.in1k", File.ReadAllBytes(path));

        using var model = SegmentationModels.Create("deeplabv3_resnest50d", configure: Small);
        var heads = Snapshot(model, "classifier.", "aux_classifier.");
        var result = await SegmentationModels.LoadPretrainedAsync(model, "deeplabv3_resnest50d", hub: scratch.Options(hub));

        result.Should().BeEquivalentTo(new LoadResult(Array.Empty<string>(), Array.Empty<string>(), new[] { "fc.weight", "fc.bias" }));
        var file = SafeTensors.Load(path);
        foreach (var (key, value) in file.Where(pair => !pair.Key.StartsWith("fc.", StringComparison.Ordinal)))
            model.state_dict()["backbone." + key].allclose(value, rtol: 0, atol: 0).Should().BeTrue($"backbone.{key} is timm's");
        foreach (var (key, value) in heads)
            model.state_dict()[key].allclose(value, rtol: 0, atol: 0).Should().BeTrue($"{key} keeps its initialisation");
        hub.LfsTransfers.Should().Be(1);

        using var again = await SegmentationModels.CreatePretrainedAsync("deeplabv3_resnest50d", configure: Small, hub: scratch.Options(hub));
        hub.LfsTransfers.Should().Be(1, "the second model reads the Hub cache");
        again.state_dict()["backbone.layer4.0.conv2.conv.weight"].allclose(file["layer4.0.conv2.conv.weight"], rtol: 0, atol: 0).Should().BeTrue();
    }

    [Fact]
    public void Pretrained_names_the_weights_source_and_torchvisions_evaluation_transform()
    {
        var deeplab = SegmentationModels.Pretrained("deeplabv3_resnet50");
        deeplab.Should().Be(new PretrainedConfig(
            WeightsSource.TorchHub("https://download.pytorch.org/models/deeplabv3_resnet50_coco-cd0a2569.pth"), 520, 1.0, Interpolation.Bilinear,
            ImagePreprocessor.ImageNetMean, ImagePreprocessor.ImageNetStd, 21) { ClassNames = TorchvisionWeights.VocCategories });
        (deeplab.Source!.Kind, deeplab.Source.Location, deeplab.Source.FileName, deeplab.Source.Sha256).Should().Be(
            (WeightsSourceKind.TorchHubUrl, "https://download.pytorch.org/models", "deeplabv3_resnet50_coco-cd0a2569.pth", "cd0a2569"));
        deeplab.ClassNames.Should().HaveCount(21).And.StartWith(new[] { "__background__", "aeroplane" }).And.EndWith("tvmonitor");
        SegmentationModels.Pretrained("fcn_resnet101").Source!.Id.Should().Be("https://download.pytorch.org/models/fcn_resnet101_coco-7ecb50ca.pth");
        var backboneOnly = SegmentationModels.Pretrained("deeplabv3_resnest50d");
        (backboneOnly.Source!.Kind, backboneOnly.Source.Location, backboneOnly.Source.FileName, backboneOnly.Source.Sha256, backboneOnly.ClassNames).Should().Be(
            (WeightsSourceKind.HuggingFaceRepo, "timm/resnest50d.in1k", "model.safetensors", (string?)null, (IReadOnlyList<string>?)null));
        SegmentationModels.Pretrained("fcn_resnest269e").Source!.Id.Should().Be("timm/resnest269e.in1k");
        SegmentationModels.Pretrained("deeplabv3plus_resnet50").Source!.Id.Should().Be("timm/resnet50.tv_in1k");
        SegmentationModels.Pretrained("deeplabv3plus_resnet101").Source!.Id.Should().Be("timm/resnet101.tv_in1k");
        FluentActions.Invoking(() => SegmentationModels.Pretrained("deeplabv3_resnet152")).Should().Throw<ArgumentException>().WithParameterName("name");
    }

    private static IReadOnlyList<string> PthKeys()
    {
        var tensors = PyTorchCheckpoint.Load(Fixtures.File("torchvision", "models", "fcn_resnet50_tiny.pth"));
        var keys = tensors.Keys.ToList();
        foreach (var tensor in tensors.Values)
            tensor.Dispose();
        return keys;
    }

    /// <summary>Copies of the module's tensors under the given prefixes.</summary>
    private static Dictionary<string, Tensor> Snapshot(nn.Module module, params string[] prefixes) =>
        module.state_dict().Where(pair => prefixes.Any(p => pair.Key.StartsWith(p, StringComparison.Ordinal)))
            .ToDictionary(pair => pair.Key, pair => pair.Value.clone());

    /// <summary>Whether every tensor of the fixture's checkpoint, except under the prefixes, is bit-identical in the module.</summary>
    private static bool StateMatches(nn.Module module, string[] exceptPrefixes)
    {
        var expected = PyTorchCheckpoint.Load(Fixtures.File("torchvision", "models", "fcn_resnet50_tiny.pth"));
        var actual = module.state_dict();
        return expected.Where(pair => !exceptPrefixes.Any(p => pair.Key.StartsWith(p, StringComparison.Ordinal)))
            .All(pair => actual.TryGetValue(pair.Key, out var tensor) && tensor.allclose(pair.Value, rtol: 0, atol: 0));
    }
}
