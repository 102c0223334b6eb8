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
/// reads HF_ENDPOINT, HF_HUB_CACHE and HF_TOKEN. Environment variables are process-wide, so this runs alone.
/// </summary>
[Collection(IsolatedCollection.Name)]
public sealed class HubEnvironmentVariablesTests : IDisposable
{
    private static readonly string[] Names = { "HF_ENDPOINT", "HF_HUB_CACHE", "HF_TOKEN", "HF_HUB_OFFLINE" };
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
        var repo = new FakeRepo { Id = "timm/resnest14d.gluon_in1k", Commit = HubScratch.Commit, Token = "hf_env_token" };
        repo.Files["model.safetensors"] = weights;
        hub.Add(repo);
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
}
