using System;
using System.IO;
using System.Linq;
using FluentAssertions;
using ResNeStBlocks.Backbones;
using ResNeStBlocks.Samples.FineTune;
using ResNeStBlocks.Testing;
using ResNeStBlocks.Training;
using ResNeStBlocks.Weights;
using ResNeStBlocks.Zoo;
using Xunit;

namespace ResNeStBlocks.Samples.Tests;

/// <summary>FineTune <c>--pretrained</c> against the stand-in Hub: timm's weights are fetched through the cache and everything but the classifier is kept.</summary>
[Collection(IsolatedCollection.Name)]
public sealed class FineTunePretrainedTests : IClassFixture<Resnest14dHub>, IDisposable
{
    private readonly Resnest14dHub fixture;
    private readonly HubScratch scratch = new();

    public FineTunePretrainedTests(Resnest14dHub fixture)
    {
        this.fixture = fixture;
        fixture.Hub.ClearLog();
    }

    public void Dispose() => scratch.Dispose();

    [Fact]
    public void Pretrained_downloads_timms_weights_once_and_starts_from_all_but_the_classifier()
    {
        string data = Path.Combine(scratch.Root, "data");
        ShortFineTuneRun.WriteImageFolder(data, perClass: 5);
        string outDir = Path.Combine(scratch.Root, "out");
        // A learning rate of 1e-12 keeps every trained parameter at its starting value to float precision, so the last
        // checkpoint shows what the run started from; one epoch of two steps at 32x32 keeps resnest14d quick.
        var args = new[]
        {
            "--data", data, "--model", "resnest14d", "--pretrained", "--image-size", "32", "--epochs", "1", "--warmup-epochs", "0",
            "--batch-size", "8", "--lr", "1e-12", "--ema-decay", "0", "--workers", "1", "--threads", "1", "--out", outDir,
        };
        var output = new StringWriter();
        var error = new StringWriter();

        int exit = FineTuneApp.Execute(args, output, error, hub: scratch.Options(fixture.Hub));

        exit.Should().Be(0, error.ToString());
        string cached = Path.Combine(scratch.Cache, "models--timm--resnest14d.gluon_in1k", "snapshots", HubScratch.Commit, "model.safetensors");
        var lines = output.ToString().Split('\n').Select(l => l.TrimEnd('\r')).ToArray();
        lines.Should().Contain("Downloading timm/resnest14d.gluon_in1k/model.safetensors into the Hugging Face cache")
            .And.Contain($"Saved {cached}")
            .And.Contain($"Weights: timm's timm/resnest14d.gluon_in1k ({cached}) (classifier replaced for 4 classes).");
        File.ReadAllBytes(cached).Should().Equal(fixture.Weights);
        fixture.Hub.LfsTransfers.Should().Be(1);

        using var trained = new ResNet(ModelZoo.Config("resnest14d") with { NumClasses = 4 });
        TrainingCheckpoint.LoadWeights(Path.Combine(outDir, "last.safetensors"), trained, fromEma: false);
        var served = SafeTensors.Load(new MemoryStream(fixture.Weights));
        try
        {
            var parameters = trained.named_parameters().ToArray();
            int servedBackbone = served.Keys.Count(k => !k.StartsWith("fc.", StringComparison.Ordinal) && !k.Contains(".running_", StringComparison.Ordinal)
                && !k.EndsWith("num_batches_tracked", StringComparison.Ordinal));
            parameters.Where(p => !p.name.StartsWith("fc.", StringComparison.Ordinal)).Should().HaveCount(servedBackbone)
                .And.OnlyContain(p => p.parameter.allclose(served[p.name], rtol: 0, atol: 1e-6, equal_nan: false), "the backbone starts from the served weights");
            parameters.Single(p => p.name == "fc.weight").parameter.shape.Should().Equal(4, 2048);
        }
        finally
        {
            foreach (var tensor in served.Values)
                tensor.Dispose();
        }
    }
}
