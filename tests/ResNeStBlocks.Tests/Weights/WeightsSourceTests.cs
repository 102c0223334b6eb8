using System;
using System.IO;
using System.Threading.Tasks;
using FluentAssertions;
using ResNeStBlocks.Hub;
using ResNeStBlocks.Testing;
using ResNeStBlocks.Weights;
using ResNeStBlocks.Zoo;
using Xunit;

namespace ResNeStBlocks.Tests.Weights;

/// <summary>One description of where weights come from: a Hub repository, a torch.hub URL or a local file, each fetched through its own cache.</summary>
public sealed class WeightsSourceTests : IAsyncLifetime
{
    private readonly HubScratch scratch = new();
    private FakeHub hub = null!;

    public async Task InitializeAsync() => hub = await FakeHub.StartAsync();

    public async Task DisposeAsync()
    {
        await hub.DisposeAsync();
        scratch.Dispose();
    }

    [Fact]
    public void Each_kind_states_its_location_file_hash_and_id()
    {
        var timm = ModelZoo.Pretrained("resnest50d").Source!;
        (timm.Kind, timm.Location, timm.FileName, timm.Sha256, timm.Revision, timm.Id).Should().Be(
            (WeightsSourceKind.HuggingFaceRepo, "timm/resnest50d.in1k", "model.safetensors", (string?)null, "main", "timm/resnest50d.in1k"));
        WeightsSource.HuggingFace("org/repo", "sub/weights.safetensors", "v2").Id.Should().Be("org/repo/sub/weights.safetensors");

        var torchvision = WeightsSource.TorchHub("https://download.pytorch.org/models/fcn_resnet50_coco-1167a1af.pth");
        (torchvision.Kind, torchvision.Location, torchvision.FileName, torchvision.Sha256, torchvision.Revision).Should().Be(
            (WeightsSourceKind.TorchHubUrl, "https://download.pytorch.org/models", "fcn_resnet50_coco-1167a1af.pth", "1167a1af", ""));
        torchvision.ToString().Should().Be("https://download.pytorch.org/models/fcn_resnet50_coco-1167a1af.pth");

        var local = WeightsSource.LocalFile(Path.Combine(scratch.Root, "mine.safetensors"));
        (local.Kind, local.Location, local.FileName, local.Sha256, local.Id).Should().Be(
            (WeightsSourceKind.LocalFile, scratch.Root, "mine.safetensors", (string?)null, Path.Combine(scratch.Root, "mine.safetensors")));
    }

    [Fact]
    public void Malformed_sources_are_refused_naming_the_fix()
    {
        FluentActions.Invoking(() => WeightsSource.TorchHub("download.pytorch.org/models/x-1234abcd.pth")).Should().ThrowExactly<ArgumentException>().WithMessage(
            "A torch.hub source must be an absolute http or https URL of a file, such as https://download.pytorch.org/models/deeplabv3_resnet50_coco-cd0a2569.pth; " +
            "got 'download.pytorch.org/models/x-1234abcd.pth'. (Parameter 'url')");
        FluentActions.Invoking(() => WeightsSource.TorchHub("https://example.org/models/weights.pth")).Should().ThrowExactly<ArgumentException>()
            .WithMessage("'weights.pth' does not carry the first 8 or more hex digits of its SHA-256*").WithParameterName("fileName");
        FluentActions.Invoking(() => WeightsSource.HuggingFace("timm/bad name")).Should().ThrowExactly<ArgumentException>().WithParameterName("repoId");
    }

    [Fact]
    public async Task Each_kind_fetches_through_its_cache_and_a_torch_hub_url_of_another_server_is_fetched_from_that_server()
    {
        byte[] weights = scratch.TinyWeights(1);
        HubScratch.WeightsRepo(hub, HubScratch.RepoId, weights);
        string checkpoint = $"tiny-{FakeHub.Sha256(weights)[..8]}.pth";
        hub.Checkpoints[checkpoint] = weights;
        // The options point torch.hub at a closed port: a URL that names its own server is fetched from there.
        var options = scratch.Options(hub) with { TorchModelsUrl = "http://127.0.0.1:9/models", TorchCheckpointDirectory = scratch.CheckpointFolder };

        string fromHub = await WeightsSource.HuggingFace(HubScratch.RepoId).FetchAsync(options);
        string fromTorchHub = await WeightsSource.TorchHub($"{hub.Endpoint}/models/{checkpoint}").FetchAsync(options);
        string local = WeightsSource.LocalFile(fromTorchHub).Fetch(options with { Offline = true });

        fromHub.Should().Be(Path.Combine(scratch.RepoFolder, "snapshots", HubScratch.Commit, "model.safetensors"));
        fromTorchHub.Should().Be(Path.Combine(scratch.CheckpointFolder, checkpoint));
        local.Should().Be(fromTorchHub);
        File.ReadAllBytes(fromHub).Should().Equal(weights);
        File.ReadAllBytes(fromTorchHub).Should().Equal(weights);
        string missing = Path.Combine(scratch.Root, "missing.safetensors");
        FluentActions.Invoking(() => WeightsSource.LocalFile(missing).Fetch()).Should().ThrowExactly<FileNotFoundException>()
            .WithMessage($"The weights file {missing} does not exist.");
    }
}
