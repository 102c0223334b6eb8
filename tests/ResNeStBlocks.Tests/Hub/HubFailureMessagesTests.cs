using System;
using System.Diagnostics;
using System.Net.Http;
using System.Security.Authentication;
using System.Threading;
using System.Threading.Tasks;
using FluentAssertions;
using ResNeStBlocks.Hub;
using ResNeStBlocks.Testing;
using Xunit;

namespace ResNeStBlocks.Tests.Hub;

/// <summary>
/// Failures a first hour meets: a certificate nobody trusts (a proxy that intercepts TLS) fails once and at once, a
/// mirror's bare 404 names the mirror, and every failure names the manual route.
/// </summary>
public sealed class HubFailureMessagesTests : IDisposable
{
    private readonly HubScratch scratch = new();

    public void Dispose() => scratch.Dispose();

    /// <summary>Counts the requests that reach the network through an injected handler.</summary>
    private sealed class CountingHandler() : DelegatingHandler(new SocketsHttpHandler { AllowAutoRedirect = false })
    {
        public int Requests;

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Requests);
            return base.SendAsync(request, cancellationToken);
        }
    }

    [Fact]
    public async Task An_untrusted_certificate_is_tried_once_fails_at_once_and_names_the_trust_store_and_the_manual_route()
    {
        using var certificate = SelfSignedCertificate.Create();
        await using var https = await FakeHub.StartAsync(certificate);
        HubScratch.WeightsRepo(https, HubScratch.RepoId, new byte[] { 1, 2, 3 });
        https.Checkpoints["fcn_resnet50_coco-1167a1af.pth"] = new byte[] { 1, 2, 3 };
        string authority = new Uri(https.Endpoint).Authority;
        using var handler = new CountingHandler();
        // The default retry budget (5 retries, waits of 1 to 8 s) would spend about 23 s on a failure that is retried.
        var options = HubScratch.TorchHubOptions(https, scratch.CheckpointFolder) with
        {
            CacheDirectory = scratch.Cache, MessageHandler = handler, RetryDelay = TimeSpan.FromSeconds(1), MaxRetryDelay = TimeSpan.FromSeconds(8),
        };
        using var hubClient = new HubClient(options);
        using var torchClient = new TorchHubClient(options);
        var clock = Stopwatch.StartNew();

        var fromHub = await hubClient.Invoking(c => c.DownloadAsync(HubScratch.RepoId, "model.safetensors")).Should().ThrowExactlyAsync<HubException>();
        var fromTorch = await torchClient.Invoking(c => c.DownloadAsync("fcn_resnet50_coco-1167a1af.pth")).Should().ThrowExactlyAsync<HubException>();

        clock.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(5), "a certificate failure is not retried");
        handler.Requests.Should().Be(2, "one try each");
        https.Log.Should().BeEmpty("no request got past the handshake");
        string reason = fromHub.Which.InnerException!.InnerException.Should().BeOfType<AuthenticationException>().Subject.Message;
        fromHub.Which.Kind.Should().Be(HubErrorKind.Unreachable);
        fromHub.Which.Message.Should().Be(
            $"Could not download model.safetensors from {HubScratch.RepoId}: the TLS certificate of {authority} was not accepted ({reason}); " +
            "not retried, as every retry would meet the same certificate. If a proxy or a mirror presents a certificate of its own, add its root " +
            $"certificate to this machine's trust store. Or download {https.Endpoint}/{HubScratch.RepoId}/resolve/main/model.safetensors on a machine " +
            "that can reach it and load the file with module.LoadWeights(path).");
        fromTorch.Which.Message.Should().Be(
            $"Could not download fcn_resnet50_coco-1167a1af.pth: the TLS certificate of {authority} was not accepted ({reason}); " +
            "not retried, as every retry would meet the same certificate. If a proxy or a mirror presents a certificate of its own, add its root " +
            $"certificate to this machine's trust store. Or download {https.Endpoint}/models/fcn_resnet50_coco-1167a1af.pth on a machine " +
            "that can reach it and load the file with module.LoadWeights(path).");
    }

    [Fact]
    public async Task A_mirror_without_the_file_answering_a_bare_404_is_named_with_its_variable()
    {
        await using var hub = await FakeHub.StartAsync();
        string mirror = hub.Endpoint + "/mirror";   // answers 404 without X-Error-Code to every path, as a plain web server does
        using var client = new HubClient(scratch.Options(hub) with { Endpoint = mirror });

        var thrown = await client.Invoking(c => c.DownloadAsync(HubScratch.RepoId, "model.safetensors")).Should().ThrowExactlyAsync<HubException>();

        thrown.Which.Kind.Should().Be(HubErrorKind.EntryNotFound);
        thrown.Which.Message.Should().Be(
            $"{mirror} answered 404 for model.safetensors in {HubScratch.RepoId} at revision 'main' without the Hub's X-Error-Code: a mirror (HF_ENDPOINT) " +
            "that lacks the file, or no Hub at all. Check the file name and the revision, and HF_ENDPOINT (unset, it is https://huggingface.co).");
        hub.Log.Should().ContainSingle("a refusal is not retried");
    }

    [Fact]
    public void A_handler_that_follows_redirects_is_refused_naming_the_setting()
    {
        using var handler = new SocketsHttpHandler();
        FluentActions.Invoking(() => new HubClient(scratch.Options(null) with { MessageHandler = handler })).Should().ThrowExactly<ArgumentException>()
            .WithMessage("HubOptions.MessageHandler must not follow redirects: set its AllowAutoRedirect to false. (Parameter 'options')");
    }

    [LinuxFact("absolute paths spelled the Unix way")]
    public void One_options_object_reads_both_servers_settings_from_the_environment()
    {
        var options = new HubOptions(v => v switch
        {
            "HF_ENDPOINT" => "https://mirror.example/",
            "HF_HUB_CACHE" => "/tmp/hf-cache",
            "TORCH_HOME" => "/tmp/torch-home",
            "RESNESTBLOCKS_TORCH_MODELS_URL" => "https://models.example/pth/",
            "HF_HUB_OFFLINE" => "yes",
            _ => null,
        });

        (options.Endpoint, options.CacheDirectory, options.TorchModelsUrl, options.TorchCheckpointDirectory, options.Offline).Should().Be(
            ("https://mirror.example", "/tmp/hf-cache", "https://models.example/pth", "/tmp/torch-home/hub/checkpoints", true));
    }
}
