using System;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using FluentAssertions;
using ResNeStBlocks.Hub;
using ResNeStBlocks.Testing;
using ResNeStBlocks.Weights;
using ResNeStBlocks.Zoo;
using Xunit;
using static TorchSharp.torch;

namespace ResNeStBlocks.Tests.Hub;

/// <summary>
/// The Hub client against a real HTTP server on 127.0.0.1 that speaks the Hub's protocol (<see cref="FakeHub"/>):
/// cache layout, zero-request cache hits, offline mode, resume, retries, integrity, errors, locking, and a cache
/// written the way Python's huggingface_hub writes it.
/// </summary>
public sealed class HubDownloadTests : IAsyncLifetime, IDisposable
{
    private const string File_ = "model.safetensors";
    private readonly HubScratch scratch = new();
    private FakeHub hub = null!;
    private byte[] weights = null!;
    private string sha = "";

    public async Task InitializeAsync()
    {
        hub = await FakeHub.StartAsync();
        weights = scratch.TinyWeights(id: 11);
        sha = FakeHub.Sha256(weights);
    }

    public async Task DisposeAsync() => await hub.DisposeAsync();

    public void Dispose() => scratch.Dispose();

    [Fact]
    public async Task Download_lays_out_huggingface_hubs_cache_and_gives_the_logits_of_the_file_itself()
    {
        scratch.TinyRepo(hub, weights);
        using var client = new HubClient(scratch.Options(hub));

        string path = await client.DownloadAsync(HubScratch.RepoId, File_);
        string config = await client.DownloadAsync(HubScratch.RepoId, "config.json");

        path.Should().Be(Path.Combine(scratch.RepoFolder, "snapshots", HubScratch.Commit, File_));
        config.Should().Be(Path.Combine(scratch.RepoFolder, "snapshots", HubScratch.Commit, "config.json"));
        string configBlob = FakeHub.GitBlobSha1(File.ReadAllBytes(config));
        // Listing() sorts ordinally; the hashes decide the order of the two blobs.
        scratch.Listing().Should().Equal(new[]
        {
            $".locks/models--timm--tiny_resnest.test/{configBlob}.lock",
            $".locks/models--timm--tiny_resnest.test/{sha}.lock",
            $"models--timm--tiny_resnest.test/blobs/{configBlob}",
            $"models--timm--tiny_resnest.test/blobs/{sha}",
            "models--timm--tiny_resnest.test/refs/main",
            $"models--timm--tiny_resnest.test/snapshots/{HubScratch.Commit}/config.json -> ../../blobs/{configBlob}",
            $"models--timm--tiny_resnest.test/snapshots/{HubScratch.Commit}/model.safetensors -> ../../blobs/{sha}",
        }.OrderBy(entry => entry, StringComparer.Ordinal));
        File.ReadAllText(Path.Combine(scratch.RepoFolder, "refs", "main")).Should().Be(HubScratch.Commit, "huggingface_hub writes the bare hash, no newline");
        File.ReadAllBytes(Path.Combine(scratch.RepoFolder, "blobs", sha)).Should().Equal(weights);
        hub.Log.Select(r => $"{r.Method} {r.Path}").Should().Equal(
            $"HEAD /{HubScratch.RepoId}/resolve/main/model.safetensors",
            $"GET /lfs/{sha}",
            $"HEAD /{HubScratch.RepoId}/resolve/main/config.json",
            $"GET /{HubScratch.RepoId}/resolve/main/config.json");

        using var fromHub = HubScratch.TinyModel();
        using var fromFile = HubScratch.TinyModel();
        var result = fromHub.LoadPretrained(HubScratch.RepoId, scratch.Options(hub));
        fromFile.LoadWeights(Path.Combine(scratch.Root, "tiny-11.safetensors"));
        result.MissingKeys.Should().BeEmpty();
        result.SkippedKeys.Should().BeEmpty();
        fromHub.eval();
        fromFile.eval();
        using var _ = no_grad();
        using var input = randn(2, 3, 64, 64, generator: new Generator(3));
        using var expected = fromFile.call(input);
        using var actual = fromHub.call(input);
        actual.allclose(expected, rtol: 0, atol: 0).Should().BeTrue("the same bytes give the same logits");
    }

    [Fact]
    public async Task A_cached_file_costs_no_request_and_offline_mode_finds_it_with_the_server_stopped()
    {
        scratch.TinyRepo(hub, weights);
        using (var client = new HubClient(scratch.Options(hub)))
        {
            string first = await client.DownloadAsync(HubScratch.RepoId, File_);
            hub.ClearLog();

            (await client.DownloadAsync(HubScratch.RepoId, File_)).Should().Be(first);
            hub.Log.Should().BeEmpty("a cached revision is used without asking the Hub");
        }
        await hub.StopAsync();

        using var offline = new HubClient(scratch.Options(hub, offline: true));
        (await offline.DownloadAsync(HubScratch.RepoId, File_)).Should().Be(Path.Combine(scratch.RepoFolder, "snapshots", HubScratch.Commit, File_));
        var missing = await offline.Invoking(c => c.DownloadAsync(HubScratch.RepoId, "pytorch_model.bin")).Should().ThrowAsync<HubException>().Where(e => e.Kind == HubErrorKind.Offline);
        missing.Which.Message.Should().Be(
            $"pytorch_model.bin from {HubScratch.RepoId} (revision 'main') is not in the cache {scratch.Cache}, and offline mode is on (HF_HUB_OFFLINE=1), so it cannot be downloaded. " +
            $"Unset HF_HUB_OFFLINE to download it once, or copy a huggingface_hub cache that has it into {scratch.Cache}. " +
            $"Or download {hub.Endpoint}/{HubScratch.RepoId}/resolve/main/pytorch_model.bin on a machine that can reach it and load the file with module.LoadWeights(path).");
    }

    [Fact]
    public async Task A_connection_dropped_mid_body_resumes_with_Range_and_the_blob_hashes_right()
    {
        scratch.TinyRepo(hub, weights);
        long cut = weights.Length / 3;
        hub.CutNextLfsBodyAfter(cut, TimeSpan.FromMilliseconds(100));
        using var client = new HubClient(scratch.Options(hub));
        var progress = new ProgressLog();

        string path = await client.DownloadAsync(HubScratch.RepoId, File_, progress: progress);

        hub.Log.Select(r => $"{r.Method} {r.Path} {r.Range}").Should().Equal(
            $"HEAD /{HubScratch.RepoId}/resolve/main/model.safetensors ",
            $"GET /lfs/{sha} ",
            $"GET /lfs/{sha} bytes={cut}-");
        FakeHub.Sha256(File.ReadAllBytes(path)).Should().Be(sha);
        progress.Reports.Should().NotBeEmpty();
        progress.Reports.Select(p => p.BytesDone).Should().BeInAscendingOrder();
        progress.Reports[^1].BytesDone.Should().Be(weights.Length);
        progress.Reports.Should().OnlyContain(p => p.TotalBytes == weights.Length && p.FileName == File_ && p.BytesPerSecond > 0);
    }

    [Fact]
    public async Task A_stalled_body_times_out_and_resumes_with_Range()
    {
        scratch.TinyRepo(hub, weights);
        long cut = weights.Length / 2;
        hub.CutNextLfsBodyAfter(cut, TimeSpan.FromSeconds(20));
        // Long enough that a machine busy with other work never leaves a healthy response silent that long (at 500 ms a
        // loaded 2-core runner resumed twice), far shorter than the 20 s stall.
        using var client = new HubClient(scratch.Options(hub) with { Timeout = TimeSpan.FromSeconds(2) });

        string path = await client.DownloadAsync(HubScratch.RepoId, File_);

        hub.Log.Select(r => $"{r.Method} {r.Path} {r.Range}").Should().Equal(
            $"HEAD /{HubScratch.RepoId}/resolve/main/model.safetensors ",
            $"GET /lfs/{sha} ",
            $"GET /lfs/{sha} bytes={cut}-");
        FakeHub.Sha256(File.ReadAllBytes(path)).Should().Be(sha);
    }

    [Fact]
    public async Task Two_503s_are_retried_and_the_download_succeeds()
    {
        scratch.TinyRepo(hub, weights);
        hub.ResolveFaults.Enqueue(503);
        hub.ResolveFaults.Enqueue(503);
        using var client = new HubClient(scratch.Options(hub));

        string path = await client.DownloadAsync(HubScratch.RepoId, File_);

        File.ReadAllBytes(path).Should().Equal(weights);
        hub.Log.Select(r => r.Method).Should().Equal("HEAD", "HEAD", "HEAD", "GET");
    }

    [Fact]
    public async Task Failures_beyond_the_retry_budget_raise_one_exception_that_names_the_cause()
    {
        scratch.TinyRepo(hub, weights);
        for (int i = 0; i < 3; i++)
            hub.ResolveFaults.Enqueue(503);
        using var client = new HubClient(scratch.Options(hub) with { MaxRetries = 1 });

        var thrown = await client.Invoking(c => c.DownloadAsync(HubScratch.RepoId, File_)).Should().ThrowExactlyAsync<HubException>();

        thrown.Which.Message.Should().Be(
            $"Could not download model.safetensors from {HubScratch.RepoId}: {hub.Endpoint}/{HubScratch.RepoId}/resolve/main/model.safetensors failed 2 time(s), last with: 503 Service Unavailable. " +
            "Check the network, or set HF_ENDPOINT to a reachable mirror; files already cached are used with HF_HUB_OFFLINE=1. " +
            $"Or download {hub.Endpoint}/{HubScratch.RepoId}/resolve/main/model.safetensors on a machine that can reach it and load the file with module.LoadWeights(path).");
        hub.Log.Should().HaveCount(2);
    }

    [Fact]
    public async Task Wrong_bytes_raise_and_leave_neither_blob_nor_snapshot()
    {
        scratch.TinyRepo(hub, weights);
        hub.CorruptLfs = true;
        var corrupt = (byte[])weights.Clone();
        corrupt[corrupt.Length / 2] ^= 0xFF;
        using var client = new HubClient(scratch.Options(hub));

        var thrown = await client.Invoking(c => c.DownloadAsync(HubScratch.RepoId, File_)).Should().ThrowAsync<HubException>().Where(e => e.Kind == HubErrorKind.Integrity);

        thrown.Which.Message.Should().Be(
            $"The download of model.safetensors from {HubScratch.RepoId} is corrupt: expected SHA-256 {sha}, got {FakeHub.Sha256(corrupt)}; nothing was cached. Try again.");
        scratch.Listing().Should().Equal($".locks/models--timm--tiny_resnest.test/{sha}.lock");
    }

    [Theory]
    [InlineData("private", HubErrorKind.Unauthorized,
        "The Hub requires authentication for timm/tiny_resnest.test (401 Unauthorized): the repository is private or does not exist; set HF_TOKEN (or log in with `hf auth login`) to a token that can read it.")]
    [InlineData("gated", HubErrorKind.GatedRepository,
        "timm/tiny_resnest.test is a gated repository (403): accept its conditions at {endpoint}/timm/tiny_resnest.test while logged in, then set HF_TOKEN (or the token file under HF_HOME) to a token of that account.")]
    [InlineData("no repo", HubErrorKind.RepositoryNotFound,
        "Repository timm/tiny_resnest.test was not found on {endpoint} (404): check its name (timm's weights are named like timm/resnest50d.in1k); no token was sent: set HF_TOKEN (or log in with `hf auth login`, which writes HF_HOME/token) if it is private.")]
    [InlineData("no file", HubErrorKind.EntryNotFound,
        "model.safetensors was not found in timm/tiny_resnest.test at revision 'main' on {endpoint} (404): check the file name and the revision.")]
    public async Task Refusals_become_distinct_kinds_that_say_what_to_do(string situation, HubErrorKind expected, string message)
    {
        if (situation != "no repo")
        {
            var repo = scratch.TinyRepo(hub, weights, token: situation == "private" ? "hf_secret" : null, gated: situation == "gated");
            if (situation == "no file")
                repo.Files.Remove(File_);
        }
        using var client = new HubClient(scratch.Options(hub));

        var thrown = await client.Invoking(c => c.DownloadAsync(HubScratch.RepoId, File_)).Should().ThrowAsync<HubException>();

        thrown.Which.Kind.Should().Be(expected);
        thrown.Which.Message.Should().Be(message.Replace("{endpoint}", hub.Endpoint, StringComparison.Ordinal));
        thrown.Which.RepoId.Should().Be(HubScratch.RepoId);
        hub.Log.Should().HaveCount(1, "a refusal is not retried");
        scratch.Listing().Should().BeEmpty();
    }

    [Fact]
    public async Task An_unknown_revision_and_a_rejected_token_are_named()
    {
        scratch.TinyRepo(hub, weights, token: "hf_secret");
        using var wrongToken = new HubClient(scratch.Options(hub) with { Token = "hf_wrong" });
        using var rightToken = new HubClient(scratch.Options(hub) with { Token = "hf_secret" });

        (await wrongToken.Invoking(c => c.DownloadAsync(HubScratch.RepoId, File_)).Should().ThrowAsync<HubException>().Where(e => e.Kind == HubErrorKind.Unauthorized))
            .Which.Message.Should().Be("The Hub rejected the token for timm/tiny_resnest.test (401 Unauthorized): the token in HF_TOKEN (or the token file under HF_HOME) is invalid or expired; create a new one at https://huggingface.co/settings/tokens.");
        (await rightToken.Invoking(c => c.DownloadAsync(HubScratch.RepoId, File_, revision: "v2")).Should().ThrowAsync<HubException>().Where(e => e.Kind == HubErrorKind.RevisionNotFound))
            .Which.Message.Should().Be("Revision 'v2' was not found in timm/tiny_resnest.test (404): use an existing branch, tag or commit hash, such as 'main'.");
    }

    [Fact]
    public async Task The_token_goes_to_the_Hub_but_not_to_a_redirect_on_another_host()
    {
        scratch.TinyRepo(hub, weights, token: "hf_secret");
        hub.LfsBase = hub.Endpoint.Replace("127.0.0.1", "localhost", StringComparison.Ordinal);   // absolute Location, other host name
        using var client = new HubClient(scratch.Options(hub) with { Token = "hf_secret" });

        string path = await client.DownloadAsync(HubScratch.RepoId, File_);

        File.ReadAllBytes(path).Should().Equal(weights);
        hub.Log.Select(r => $"{r.Method} {r.Path} {r.Authorization}").Should().Equal(
            $"HEAD /{HubScratch.RepoId}/resolve/main/model.safetensors Bearer hf_secret",
            $"GET /lfs/{sha} ");
    }

    [Fact]
    public async Task A_commit_hash_revision_writes_no_ref_and_is_never_asked_again()
    {
        scratch.TinyRepo(hub, weights);
        using var client = new HubClient(scratch.Options(hub) with { CheckForUpdates = true });

        string path = await client.DownloadAsync(HubScratch.RepoId, File_, revision: HubScratch.Commit);
        hub.ClearLog();
        (await client.DownloadAsync(HubScratch.RepoId, File_, revision: HubScratch.Commit)).Should().Be(path);

        hub.Log.Should().BeEmpty("a commit is immutable, even when checking for updates");
        Directory.Exists(Path.Combine(scratch.RepoFolder, "refs")).Should().BeFalse();
        (await client.DownloadAsync(HubScratch.RepoId, File_)).Should().Be(path);
        hub.Log.Select(r => r.Method).Should().Equal(new[] { "HEAD" }, "checking 'main' for updates is one HEAD and no transfer");
        File.ReadAllText(Path.Combine(scratch.RepoFolder, "refs", "main")).Should().Be(HubScratch.Commit);
    }

    [Fact]
    public async Task Two_clients_fetching_the_same_file_at_once_transfer_it_once()
    {
        scratch.TinyRepo(hub, weights);
        hub.LfsDelay = TimeSpan.FromMilliseconds(300);
        using var first = new HubClient(scratch.Options(hub));
        using var second = new HubClient(scratch.Options(hub));

        var paths = await Task.WhenAll(
            Task.Run(() => first.DownloadAsync(HubScratch.RepoId, File_)),
            Task.Run(() => second.DownloadAsync(HubScratch.RepoId, File_)));

        paths[0].Should().Be(paths[1]);
        hub.LfsTransfers.Should().Be(1);
        hub.Log.Count(r => r.Method == "HEAD").Should().Be(2);
        File.ReadAllBytes(paths[0]).Should().Equal(weights);
    }

    [Fact]
    public async Task A_cache_written_by_python_huggingface_hub_is_used_with_no_request()
    {
        // Exactly what huggingface_hub leaves after hf_hub_download("timm/tiny_resnest.test", "model.safetensors"):
        // the blob named by its SHA-256, refs/main holding the bare commit, a relative symlink in the snapshot, and the lock folder.
        Directory.CreateDirectory(Path.Combine(scratch.RepoFolder, "blobs"));
        Directory.CreateDirectory(Path.Combine(scratch.RepoFolder, "refs"));
        Directory.CreateDirectory(Path.Combine(scratch.RepoFolder, "snapshots", HubScratch.Commit));
        Directory.CreateDirectory(Path.Combine(scratch.Cache, ".locks", "models--timm--tiny_resnest.test"));
        File.WriteAllBytes(Path.Combine(scratch.RepoFolder, "blobs", sha), weights);
        File.WriteAllText(Path.Combine(scratch.RepoFolder, "refs", "main"), HubScratch.Commit);
        File.CreateSymbolicLink(Path.Combine(scratch.RepoFolder, "snapshots", HubScratch.Commit, File_), "../../blobs/" + sha);
        using var client = new HubClient(scratch.Options(hub));

        string path = await client.DownloadAsync(HubScratch.RepoId, File_);
        using var model = HubScratch.TinyModel();
        var result = model.LoadPretrained(HubScratch.RepoId, scratch.Options(hub, offline: true));

        path.Should().Be(Path.Combine(scratch.RepoFolder, "snapshots", HubScratch.Commit, File_));
        client.TryGetCached(HubScratch.RepoId, File_).Should().Be(path);
        result.MissingKeys.Should().BeEmpty();
        hub.Log.Should().BeEmpty();
    }

    [Fact]
    public async Task Cancellation_stops_the_download_and_caches_nothing()
    {
        scratch.TinyRepo(hub, weights);
        hub.LfsDelay = TimeSpan.FromSeconds(5);
        using var client = new HubClient(scratch.Options(hub));
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        await client.Invoking(c => c.DownloadAsync(HubScratch.RepoId, File_, cancellationToken: cancel.Token)).Should().ThrowAsync<OperationCanceledException>();

        client.TryGetCached(HubScratch.RepoId, File_).Should().BeNull();
        File.Exists(Path.Combine(scratch.RepoFolder, "blobs", sha)).Should().BeFalse();
    }

    [Theory]
    [InlineData("\"abc123\"", "abc123")]
    [InlineData("W/\"abc123\"", "abc123")]
    [InlineData("abc123", "abc123")]
    [InlineData("\"\"", null)]
    [InlineData(null, null)]
    public void ETags_lose_quotes_and_the_weak_prefix(string? header, string? expected) =>
        HubClient.NormalizeETag(header).Should().Be(expected);
}
