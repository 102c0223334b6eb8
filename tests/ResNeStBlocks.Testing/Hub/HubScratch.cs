using System;
using System.Collections.Generic;
using System.IO;
using ResNeStBlocks.Backbones;
using ResNeStBlocks.Blocks;
using ResNeStBlocks.Hub;
using static TorchSharp.torch;

namespace ResNeStBlocks.Testing;

/// <summary>A temporary cache directory, options that point at a stand-in Hub, and small models' weights.</summary>
public sealed class HubScratch : IDisposable
{
    public const string Commit = "0123456789abcdef0123456789abcdef01234567";
    public const string RepoId = "timm/tiny_resnest.test";

    public HubScratch() => Directory.CreateDirectory(Root);

    public string Root { get; } = Path.Combine(Path.GetTempPath(), "hub-tests-" + Guid.NewGuid().ToString("N"));

    public string Cache => Path.Combine(Root, "cache");

    public string RepoFolder => Path.Combine(Cache, "models--timm--tiny_resnest.test");

    /// <summary>Options independent of the process environment (and of any token file in the home folder), with retries fast enough for tests.</summary>
    public HubOptions Options(FakeHub? hub, bool offline = false) =>
        new(_ => null)
        {
            Endpoint = hub?.Endpoint ?? "http://127.0.0.1:9",
            CacheDirectory = Cache,
            Token = null,
            Offline = offline,
            RetryDelay = TimeSpan.FromMilliseconds(1),
            MaxRetryDelay = TimeSpan.FromMilliseconds(5),
            Timeout = TimeSpan.FromSeconds(10),
        };

    /// <summary>torch.hub's checkpoint folder in this scratch directory.</summary>
    public string CheckpointFolder => Path.Combine(Root, "torch", "hub", "checkpoints");

    /// <summary>
    /// Options independent of the process environment that fetch torch.hub checkpoints from <paramref name="hub"/>'s
    /// <c>/models</c> into <paramref name="folder"/> (and Hub files from <paramref name="hub"/> into a scratch cache),
    /// with retries fast enough for tests.
    /// </summary>
    public static HubOptions TorchHubOptions(FakeHub hub, string folder, bool offline = false) =>
        new(_ => null)
        {
            Endpoint = hub.Endpoint,
            CacheDirectory = Path.Combine(folder, "hf-cache"),
            TorchModelsUrl = hub.Endpoint + "/models",
            TorchCheckpointDirectory = folder,
            Offline = offline,
            RetryDelay = TimeSpan.FromMilliseconds(1),
            MaxRetryDelay = TimeSpan.FromMilliseconds(5),
            Timeout = TimeSpan.FromSeconds(10),
        };

    /// <summary>A small ResNeSt (channels 16..128, 10 classes) with randomised norms; its safetensors bytes.</summary>
    public static ResNet TinyModel(int numClasses = 10) =>
        new(new ResNetConfig(new ResNeStSpec(), new[] { 1, 1, 1, 1 })
        {
            Channels = new[] { 16, 32, 64, 128 }, NumClasses = numClasses, StemType = StemType.Deep, StemWidth = 16, AvgDown = true,
        });

    /// <summary>Random weights with BatchNorm statistics drawn from a generator of its own, seeded by <paramref name="id"/> (the global generator is left alone: other tests seed it), saved as <c>tiny-{id}.safetensors</c>.</summary>
    public byte[] TinyWeights(int id)
    {
        using var model = TinyModel();
        RandomNorms.Randomize(model, id);
        string path = Path.Combine(Root, $"tiny-{id}.safetensors");
        model.SaveWeights(path);
        return File.ReadAllBytes(path);
    }

    public FakeRepo TinyRepo(FakeHub hub, byte[] weights, string? token = null, bool gated = false)
    {
        var repo = WeightsRepo(hub, RepoId, weights, token, gated);
        repo.Files["config.json"] = System.Text.Encoding.UTF8.GetBytes("{\"architecture\": \"tiny_resnest\", \"num_classes\": 10}");
        return repo;
    }

    /// <summary>A repository at <see cref="Commit"/> that serves <paramref name="weights"/> as timm's <c>model.safetensors</c>, added to <paramref name="hub"/>.</summary>
    public static FakeRepo WeightsRepo(FakeHub hub, string repoId, byte[] weights, string? token = null, bool gated = false)
    {
        var repo = new FakeRepo { Id = repoId, Commit = Commit, Token = token, Gated = gated };
        repo.Files["model.safetensors"] = weights;
        return hub.Add(repo);
    }

    /// <summary>Every file and symlink under the cache, as relative paths with '/' (symlinks as "path -> target").</summary>
    public IReadOnlyList<string> Listing()
    {
        var entries = new List<string>();
        if (!Directory.Exists(Cache))
            return entries;
        foreach (string path in Directory.EnumerateFileSystemEntries(Cache, "*", SearchOption.AllDirectories))
        {
            var info = new FileInfo(path);
            if (Directory.Exists(path) && info.LinkTarget is null)
                continue;
            string relative = Path.GetRelativePath(Cache, path).Replace('\\', '/');
            entries.Add(info.LinkTarget is null ? relative : $"{relative} -> {info.LinkTarget}");
        }
        entries.Sort(StringComparer.Ordinal);
        return entries;
    }

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); }
        catch (IOException) { }   // a file still held open by a failing test must not hide its failure
    }
}

/// <summary>Collects progress reports synchronously (System.Progress would post them to the thread pool).</summary>
public sealed class ProgressLog : IProgress<HubDownloadProgress>
{
    private readonly List<HubDownloadProgress> reports = new();

    public IReadOnlyList<HubDownloadProgress> Reports
    {
        get { lock (reports) return reports.ToArray(); }
    }

    public void Report(HubDownloadProgress value)
    {
        lock (reports) reports.Add(value);
    }
}
