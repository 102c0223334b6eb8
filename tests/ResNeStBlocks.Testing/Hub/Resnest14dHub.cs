using System;
using System.IO;
using System.Threading.Tasks;
using Xunit;

namespace ResNeStBlocks.Testing;

/// <summary>A stand-in Hub serving random resnest14d weights as timm/resnest14d.gluon_in1k, shared by one test class.</summary>
public sealed class Resnest14dHub : IAsyncLifetime, IDisposable
{
    private readonly HubScratch scratch = new();

    public FakeHub Hub { get; private set; } = null!;

    public byte[] Weights { get; private set; } = null!;

    public string WeightsPath => Path.Combine(scratch.Root, "resnest14d-7.safetensors");

    public async Task InitializeAsync()
    {
        Hub = await FakeHub.StartAsync();
        Weights = HubWeights.ZooWeights("resnest14d", id: 7, scratch.Root);
        HubScratch.WeightsRepo(Hub, "timm/resnest14d.gluon_in1k", Weights);
    }

    public async Task DisposeAsync() => await Hub.DisposeAsync();

    public void Dispose() => scratch.Dispose();
}
