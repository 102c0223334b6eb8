using System;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Threading.Tasks;
using FluentAssertions;
using ResNeStBlocks.Hub;
using ResNeStBlocks.Testing;
using Xunit;

namespace ResNeStBlocks.Tests.Hub;

/// <summary>An endpoint where nothing listens fails at once, with the address and what to do, instead of after every retry.</summary>
public sealed class UnreachableHubTests : IDisposable
{
    private readonly HubScratch scratch = new();

    public void Dispose() => scratch.Dispose();

    [Fact]
    public async Task A_refused_connection_fails_within_seconds_naming_the_endpoint_and_offline_mode()
    {
        int port = ClosedPort();
        // The default retry budget (5 retries, waits of 1 to 8 s) would take about 23 s; none of it is spent on a refusal.
        var options = scratch.Options(null) with { Endpoint = $"http://127.0.0.1:{port}", RetryDelay = TimeSpan.FromSeconds(1), MaxRetryDelay = TimeSpan.FromSeconds(8) };
        using var client = new HubClient(options);
        var clock = Stopwatch.StartNew();

        var thrown = await client.Invoking(c => c.DownloadAsync(HubScratch.RepoId, "model.safetensors")).Should().ThrowExactlyAsync<HubException>();

        clock.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(5));
        thrown.Which.Message.Should().Be(
            $"Could not download model.safetensors from {HubScratch.RepoId}: nothing answers at http://127.0.0.1:{port}: it refused the connection " +
            $"(nothing listens at 127.0.0.1:{port}). Set HF_ENDPOINT to a reachable mirror, or HF_HUB_OFFLINE=1 to use only files already cached. " +
            $"Or download http://127.0.0.1:{port}/{HubScratch.RepoId}/resolve/main/model.safetensors on a machine that can reach it and load the file with module.LoadWeights(path).");
    }

    /// <summary>A loopback port that was free a moment ago and now has no listener.</summary>
    private static int ClosedPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
