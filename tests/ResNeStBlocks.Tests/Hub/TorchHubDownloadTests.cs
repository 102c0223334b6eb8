using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using FluentAssertions;
using ResNeStBlocks.Blocks;
using ResNeStBlocks.Hub;
using ResNeStBlocks.Testing;
using ResNeStBlocks.Weights;
using Xunit;

namespace ResNeStBlocks.Tests.Hub;

/// <summary>
/// The torch.hub client against a real HTTP server on 127.0.0.1 (<see cref="FakeHub"/>'s <c>/models/</c>): torch.hub's
/// folder layout, zero-request reuse (of a file Python's torch.hub left too), offline mode, resume with Range, the SHA-256
/// prefix of the name, missing files, the per-file lock, and loading the checkpoint into a module.
/// </summary>
public sealed class TorchHubDownloadTests : IAsyncLifetime, IDisposable
{
    private readonly string root = Path.Combine(Path.GetTempPath(), "torchhub-tests-" + Guid.NewGuid().ToString("N"));
    private FakeHub hub = null!;
    private byte[] checkpoint = null!;
    private string name = "";

    private string Folder => Path.Combine(root, "torch", "hub", "checkpoints");

    public async Task InitializeAsync()
    {
        hub = await FakeHub.StartAsync();
        checkpoint = File.ReadAllBytes(Fixtures.File("pth", "basic_block.pth"));
        name = $"basic_block-{FakeHub.Sha256(checkpoint)[..8]}.pth";
        hub.Checkpoints[name] = checkpoint;
    }

    public async Task DisposeAsync() => await hub.DisposeAsync();

    public void Dispose()
    {
        try { Directory.Delete(root, recursive: true); }
        catch (IOException) { }   // a file still held open by a failing test must not hide its failure
    }

    /// <summary>Options independent of the process environment, with retries fast enough for tests.</summary>
    private HubOptions Options(bool offline = false) => HubScratch.TorchHubOptions(hub, Folder, offline);

    private IEnumerable<string> Requests => hub.Log.Select(r => $"{r.Method} {r.Path} {r.Range}".TrimEnd());

    private IEnumerable<string> Listing() =>
        Directory.Exists(Folder)
            ? Directory.EnumerateFiles(Folder, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(Folder, f)).Order(StringComparer.Ordinal)
            : Enumerable.Empty<string>();

    [Fact]
    public async Task A_checkpoint_lands_in_torch_hubs_folder_and_loads_into_a_module_with_no_further_request()
    {
        using var client = new TorchHubClient(Options());

        string path = await client.DownloadAsync(name);

        path.Should().Be(Path.Combine(Folder, name));
        File.ReadAllBytes(path).Should().Equal(checkpoint);
        Listing().Should().Equal(Path.Combine(".locks", name + ".lock"), name);
        Requests.Should().Equal($"HEAD /models/{name}", $"GET /models/{name}");
        hub.ClearLog();

        using var block = new BasicBlock(16, 16);
        var result = block.LoadTorchHubCheckpoint(name, Options());
        using var expected = new BasicBlock(16, 16);
        expected.LoadWeights(Fixtures.File("pth", "basic_block.pth"));

        result.MissingKeys.Should().BeEmpty();
        result.UnexpectedKeys.Should().BeEmpty();
        foreach (var (key, tensor) in expected.state_dict())
            block.state_dict()[key].allclose(tensor, rtol: 0, atol: 0).Should().BeTrue(key);
        hub.Log.Should().BeEmpty("a checkpoint in the folder costs no request");
    }

    [Fact]
    public async Task Offline_mode_uses_the_folder_with_the_server_stopped_and_names_the_switch_for_a_missing_file()
    {
        using (var client = new TorchHubClient(Options()))
            await client.DownloadAsync(name);
        await hub.StopAsync();
        using var offline = new TorchHubClient(Options(offline: true));

        (await offline.DownloadAsync(name)).Should().Be(Path.Combine(Folder, name));
        var missing = await offline.Invoking(c => c.DownloadAsync(TorchvisionWeights.FcnResNet50)).Should().ThrowAsync<HubException>().Where(e => e.Kind == HubErrorKind.Offline);
        missing.Which.Message.Should().Be(
            $"fcn_resnet50_coco-1167a1af.pth is not in the checkpoint folder {Folder}, and offline mode is on (HF_HUB_OFFLINE=1), so it cannot be downloaded. " +
            "Unset HF_HUB_OFFLINE to download it once, or copy it from a torch.hub checkpoint folder that has it ($TORCH_HOME/hub/checkpoints). " +
            $"Or download {hub.Endpoint}/models/fcn_resnet50_coco-1167a1af.pth on a machine that can reach it and load the file with module.LoadWeights(path).");
        new HubOptions(v => v == "HF_HUB_OFFLINE" ? "1" : null).Offline.Should().BeTrue("the library has one offline switch");
    }

    [Fact]
    public async Task A_connection_dropped_mid_body_resumes_with_Range_and_the_file_hashes_right()
    {
        long cut = checkpoint.Length / 3;
        hub.CutNextLfsBodyAfter(cut, TimeSpan.FromMilliseconds(100));
        using var client = new TorchHubClient(Options());
        var progress = new ProgressLog();

        string path = await client.DownloadAsync(name, progress);

        Requests.Should().Equal($"HEAD /models/{name}", $"GET /models/{name}", $"GET /models/{name} bytes={cut}-");
        File.ReadAllBytes(path).Should().Equal(checkpoint);
        progress.Reports[^1].BytesDone.Should().Be(checkpoint.Length);
        progress.Reports.Should().OnlyContain(p => p.TotalBytes == checkpoint.Length && p.FileName == name);
    }

    [Fact]
    public async Task A_partial_file_left_by_an_earlier_process_is_resumed_with_Range()
    {
        int half = checkpoint.Length / 2;
        Directory.CreateDirectory(Folder);
        File.WriteAllBytes(Path.Combine(Folder, name + ".incomplete"), checkpoint[..half]);
        using var client = new TorchHubClient(Options());

        string path = await client.DownloadAsync(name);

        Requests.Should().Equal($"HEAD /models/{name}", $"GET /models/{name} bytes={half}-");
        File.ReadAllBytes(path).Should().Equal(checkpoint);
        Listing().Should().Equal(Path.Combine(".locks", name + ".lock"), name);
    }

    [Fact]
    public async Task Bytes_whose_SHA256_does_not_start_with_the_names_digits_raise_and_nothing_is_kept()
    {
        string wrongName = "basic_block-00000000.pth";
        hub.Checkpoints[wrongName] = checkpoint;
        using var client = new TorchHubClient(Options());

        var thrown = await client.Invoking(c => c.DownloadAsync(wrongName)).Should().ThrowAsync<HubException>().Where(e => e.Kind == HubErrorKind.Integrity);

        thrown.Which.Message.Should().Be(
            $"The download of {wrongName} from {hub.Endpoint}/models is corrupt: expected SHA-256 starting 00000000 (from the file name), got {FakeHub.Sha256(checkpoint)}; nothing was cached. Try again.");
        Listing().Should().Equal(Path.Combine(".locks", wrongName + ".lock"));
        hub.CorruptLfs = true;
        await client.Invoking(c => c.DownloadAsync(name)).Should().ThrowAsync<HubException>("a corrupted transfer of the right size is caught the same way").Where(e => e.Kind == HubErrorKind.Integrity);
        client.TryGetCached(name).Should().BeNull();
    }

    [Fact]
    public async Task Two_clients_fetching_the_same_checkpoint_at_once_transfer_it_once()
    {
        hub.LfsDelay = TimeSpan.FromMilliseconds(300);
        using var first = new TorchHubClient(Options());
        using var second = new TorchHubClient(Options());

        var paths = await Task.WhenAll(Task.Run(() => first.DownloadAsync(name)), Task.Run(() => second.DownloadAsync(name)));

        paths[0].Should().Be(paths[1]);
        hub.CheckpointTransfers.Should().Be(1);
        hub.Log.Count(r => r.Method == "HEAD").Should().Be(1, "the second client finds the file once the lock is released");
        File.ReadAllBytes(paths[0]).Should().Equal(checkpoint);
    }

    [Fact]
    public async Task A_file_that_Python_torch_hub_downloaded_is_used_with_no_request()
    {
        // Exactly what torch.hub.load_state_dict_from_url leaves with TORCH_HOME set: the file under hub/checkpoints, nothing else.
        string torchHome = Path.Combine(root, "python-torch-home");
        Directory.CreateDirectory(Path.Combine(torchHome, "hub", "checkpoints"));
        File.WriteAllBytes(Path.Combine(torchHome, "hub", "checkpoints", name), checkpoint);
        var fromEnvironment = new HubOptions(v => v switch { "TORCH_HOME" => torchHome, "RESNESTBLOCKS_TORCH_MODELS_URL" => hub.Endpoint + "/models/", _ => null });
        using var client = new TorchHubClient(fromEnvironment);

        string path = await client.DownloadAsync(name);

        fromEnvironment.TorchModelsUrl.Should().Be(hub.Endpoint + "/models");
        path.Should().Be(Path.Combine(torchHome, "hub", "checkpoints", name));
        client.TryGetCached(name).Should().Be(path);
        hub.Log.Should().BeEmpty();
    }

    [Fact]
    public async Task A_file_the_server_does_not_have_is_named_and_nothing_is_cached()
    {
        using var client = new TorchHubClient(Options());

        var thrown = await client.Invoking(c => c.DownloadAsync("missing-0123abcd.pth")).Should().ThrowAsync<HubException>().Where(e => e.Kind == HubErrorKind.EntryNotFound);

        thrown.Which.Message.Should().Be(
            $"missing-0123abcd.pth was not found at {hub.Endpoint}/models (403): check the file name (torchvision's are listed in TorchvisionWeights) or RESNESTBLOCKS_TORCH_MODELS_URL.");
        hub.Log.Should().HaveCount(1, "a refusal is not retried");
        Listing().Should().Equal(Path.Combine(".locks", "missing-0123abcd.pth.lock"));
    }

    [Theory]
    [InlineData("model.pth")]
    [InlineData("resnet-abc.pth")]
    [InlineData("deeplabv3-CD0A2569.pth")]
    public void A_name_without_a_SHA256_prefix_is_refused_before_any_request(string fileName)
    {
        using var client = new TorchHubClient(Options());

        client.Invoking(c => c.Download(fileName)).Should().Throw<ArgumentException>().WithMessage(
            $"'{fileName}' does not carry the first 8 or more hex digits of its SHA-256 as torch.hub names checkpoints (<name>-<sha256 prefix>.pth, " +
            "such as deeplabv3_resnet50_coco-cd0a2569.pth), so a download could not be checked. (Parameter 'fileName')");
        hub.Log.Should().BeEmpty();
    }

    [Fact]
    public void Torchvisions_four_segmentation_checkpoints_are_known_by_model_name_with_their_hash_prefixes()
    {
        TorchvisionWeights.Models.Select(m => (m, TorchvisionWeights.FileName(m), TorchHubClient.HashPrefix(TorchvisionWeights.FileName(m)))).Should().Equal(
            ("deeplabv3_resnet50", "deeplabv3_resnet50_coco-cd0a2569.pth", "cd0a2569"),
            ("deeplabv3_resnet101", "deeplabv3_resnet101_coco-586e9e4e.pth", "586e9e4e"),
            ("fcn_resnet50", "fcn_resnet50_coco-1167a1af.pth", "1167a1af"),
            ("fcn_resnet101", "fcn_resnet101_coco-7ecb50ca.pth", "7ecb50ca"));
        FluentActions.Invoking(() => TorchvisionWeights.FileName("deeplabv3_resnest50d")).Should().Throw<ArgumentException>().WithMessage(
            "torchvision publishes no segmentation weights for 'deeplabv3_resnest50d'; known: deeplabv3_resnet101, deeplabv3_resnet50, fcn_resnet101, fcn_resnet50. (Parameter 'model')");
    }

    [Theory]
    [InlineData("/opt/torch", null, "/opt/torch/hub/checkpoints")]
    [InlineData(null, "/var/cache", "/var/cache/torch/hub/checkpoints")]
    [InlineData("", "", "~/.cache/torch/hub/checkpoints")]
    public void The_folder_is_where_torch_hub_puts_it(string? torchHome, string? xdgCache, string expected)
    {
        var variables = new Dictionary<string, string?> { ["TORCH_HOME"] = torchHome, ["XDG_CACHE_HOME"] = xdgCache };
        string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);

        HubEnvironment.ResolveTorchCheckpointDirectory(v => variables.GetValueOrDefault(v)).Should().Be(expected.Replace("~", home, StringComparison.Ordinal));
        new HubOptions(_ => null).TorchModelsUrl.Should().Be("https://download.pytorch.org/models");
    }
}
