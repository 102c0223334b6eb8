using System;
using System.IO;
using System.Threading.Tasks;
using FluentAssertions;
using ResNeStBlocks.Testing;
using ResNeStBlocks.Zoo;
using Xunit;

namespace ResNeStBlocks.Tests.Hub;

/// <summary>
/// The one-call path with nothing but the process environment: <c>ModelZoo.Create(name, pretrained: true)</c>
/// reads HF_ENDPOINT, HF_HUB_CACHE and HF_TOKEN, <c>SegmentationModels.Create(name, pretrained: true)</c> reads TORCH_HOME.
/// Environment variables are process-wide, so this runs alone.
/// </summary>
[Collection(IsolatedCollection.Name)]
public sealed class HubEnvironmentVariablesTests : IDisposable
{
    private static readonly string[] Names = { "HF_ENDPOINT", "HF_HUB_CACHE", "HF_TOKEN", "HF_HUB_OFFLINE", "TORCH_HOME" };
    private readonly HubScratch scratch = new();
    private readonly string?[] saved = Array.ConvertAll(Names, Environment.GetEnvironmentVariable);

    public void Dispose()
    {
        for (int i = 0; i < Names.Length; i++)
            Environment.SetEnvironmentVariable(Names[i], saved[i]);
        scratch.Dispose();
    }

    [Fact]
    public async Task Create_with_pretrained_true_downloads_from_HF_ENDPOINT_into_HF_HUB_CACHE_with_HF_TOKEN()
    {
        await using var hub = await FakeHub.StartAsync();
        var weights = HubWeights.ZooWeights("resnest14d", id: 21, scratch.Root);
        HubScratch.WeightsRepo(hub, "timm/resnest14d.gluon_in1k", weights, token: "hf_env_token");
        Environment.SetEnvironmentVariable("HF_ENDPOINT", hub.Endpoint + "/");
        Environment.SetEnvironmentVariable("HF_HUB_CACHE", scratch.Cache);
        Environment.SetEnvironmentVariable("HF_TOKEN", "hf_env_token");
        Environment.SetEnvironmentVariable("HF_HUB_OFFLINE", null);

        using (var model = ModelZoo.Create("resnest14d", pretrained: true))
            HubWeights.StateEquals(model, weights).Should().BeTrue();
        await hub.StopAsync();
        Environment.SetEnvironmentVariable("HF_HUB_OFFLINE", "1");
        using (var again = ModelZoo.Create("resnest14d", numClasses: 0, pretrained: true))
            again.NumClasses.Should().Be(0);

        hub.Log.Should().HaveCount(2);
        hub.Log[0].Authorization.Should().Be("Bearer hf_env_token");
        File.Exists(Path.Combine(scratch.Cache, "models--timm--resnest14d.gluon_in1k", "refs", "main")).Should().BeTrue();
    }

    [Fact]
    public void Segmentation_Create_with_pretrained_true_finds_torchvisions_checkpoint_under_TORCH_HOME()
    {
        var fcn = TorchvisionFixtures.Case("fcn_resnet50_tiny");
        string torchHome = Path.Combine(scratch.Root, "torch-home");
        string folder = Path.Combine(torchHome, "hub", "checkpoints");
        Directory.CreateDirectory(folder);
        File.Copy(Fixtures.File("torchvision", "models", "fcn_resnet50_tiny.pth"), Path.Combine(folder, ResNeStBlocks.Hub.TorchvisionWeights.FcnResNet50));
        Environment.SetEnvironmentVariable("TORCH_HOME", torchHome);
        Environment.SetEnvironmentVariable("HF_HUB_OFFLINE", "1");

        using var model = ResNeStBlocks.Dense.SegmentationModels.Create("fcn_resnet50", numClasses: 3,
            configure: c => c with { Layers = fcn.Ints("layers"), Channels = fcn.Ints("channels") }, pretrained: true);

        using var scope = TorchSharp.torch.NewDisposeScope();
        var io = fcn.LoadIo();
        model.eval();
        using var _ = TorchSharp.torch.no_grad();
        TensorAssert.Close(model.call(io["input"]), io["out"], 1e-4, 1e-4, "out from TORCH_HOME's checkpoint");
    }
}
