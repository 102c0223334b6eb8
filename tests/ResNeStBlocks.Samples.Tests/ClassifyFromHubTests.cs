using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using FluentAssertions;
using ResNeStBlocks.Samples.Classify;
using ResNeStBlocks.Samples.Progress;
using ResNeStBlocks.Testing;
using Xunit;

namespace ResNeStBlocks.Samples.Tests;

/// <summary>Classify without <c>--weights</c> against the stand-in Hub: timm's weights are fetched once, through the cache and its lock.</summary>
public sealed class ClassifyFromHubTests : IClassFixture<Resnest14dHub>, IDisposable
{
    private readonly Resnest14dHub fixture;
    private readonly HubScratch scratch = new();

    public ClassifyFromHubTests(Resnest14dHub fixture)
    {
        this.fixture = fixture;
        fixture.Hub.ClearLog();
    }

    public void Dispose() => scratch.Dispose();

    [Fact]
    public void Classify_without_weights_downloads_them_once_and_ranks_as_with_the_file()
    {
        string image = Fixtures.File("data", "chelsea.png");
        var shown = new StringWriter();
        var display = new PlainDownloadDisplay(shown);

        var downloaded = ClassifyApp.Run(new ClassifyOptions("resnest14d", null, image, Top: 3), TextWriter.Null, display, scratch.Options(fixture.Hub));
        var again = ClassifyApp.Run(new ClassifyOptions("resnest14d", null, image, Top: 3), TextWriter.Null, display, scratch.Options(fixture.Hub));
        var fromFile = ClassifyApp.Run(new ClassifyOptions("resnest14d", fixture.WeightsPath, image, Top: 3), TextWriter.Null);

        downloaded.Predictions.Should().Equal(fromFile.Predictions);
        again.Predictions.Should().Equal(fromFile.Predictions);
        var lines = shown.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();
        lines[0].Should().Be("Downloading timm/resnest14d.gluon_in1k/model.safetensors into the Hugging Face cache");
        lines[^2].Should().MatchRegex(@"^  100%  +\d+\.\d of \d+\.\d MB  \d+\.\d MB/s$");
        lines[^1].Should().Be($"Saved {Path.Combine(scratch.Cache, "models--timm--resnest14d.gluon_in1k", "snapshots", HubScratch.Commit, "model.safetensors")}");
        fixture.Hub.Log.Should().HaveCount(2, "the second run finds the weights in the cache");
    }

    [Fact]
    public async Task While_another_process_downloads_the_weights_this_one_waits_for_its_lock_and_transfers_nothing()
    {
        string image = Fixtures.File("data", "chelsea.png");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in new[] { Path.Combine(AppContext.BaseDirectory, "Classify.dll"), "--model", "resnest14d", "--image", image, "--top", "1" })
            start.ArgumentList.Add(argument);
        start.Environment["HF_ENDPOINT"] = fixture.Hub.Endpoint;
        start.Environment["HF_HUB_CACHE"] = scratch.Cache;
        start.Environment.Remove("HF_TOKEN");
        start.Environment.Remove("HF_HUB_OFFLINE");
        fixture.Hub.LfsDelay = TimeSpan.FromSeconds(2);   // the other process holds the blob's lock at least this long
        using var other = Process.Start(start)!;
        try
        {
            var output = other.StandardOutput.ReadToEndAsync();
            var errors = other.StandardError.ReadToEndAsync();
            var waitedSince = Stopwatch.StartNew();
            while (fixture.Hub.LfsTransfers == 0)
            {
                if (other.HasExited)
                    throw new InvalidOperationException($"Classify ended before downloading: {await errors}");
                waitedSince.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(60));
                await Task.Delay(20);
            }

            using var client = new ResNeStBlocks.Hub.HubClient(scratch.Options(fixture.Hub));
            string path = await client.DownloadAsync("timm/resnest14d.gluon_in1k", "model.safetensors");

            using var limit = new System.Threading.CancellationTokenSource(TimeSpan.FromSeconds(60));
            await other.WaitForExitAsync(limit.Token);
            other.ExitCode.Should().Be(0, await errors);
            (await output).Should().Contain("chelsea.png: resnest14d (224x224, bilinear, crop 0.875)");
            File.ReadAllBytes(path).Should().Equal(fixture.Weights);
            fixture.Hub.LfsTransfers.Should().Be(1);
            fixture.Hub.Log.Count(r => r.Method == "HEAD").Should().Be(2);
        }
        finally
        {
            fixture.Hub.LfsDelay = TimeSpan.Zero;
            if (!other.HasExited)
                other.Kill(entireProcessTree: true);
        }
    }
}
