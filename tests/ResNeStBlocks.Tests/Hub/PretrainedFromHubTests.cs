using System;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using FluentAssertions;
using ResNeStBlocks.Backbones;
using ResNeStBlocks.Blocks;
using ResNeStBlocks.Preprocessing;
using ResNeStBlocks.Testing;
using ResNeStBlocks.Weights;
using ResNeStBlocks.Zoo;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace ResNeStBlocks.Tests.Hub;

/// <summary>The zoo's pretrained path: timm's tags, and models created with weights from the Hub.</summary>
public sealed class PretrainedFromHubTests : IClassFixture<Resnest14dHub>, IDisposable
{
    private readonly Resnest14dHub fixture;
    private readonly HubScratch scratch = new();

    public PretrainedFromHubTests(Resnest14dHub fixture)
    {
        this.fixture = fixture;
        fixture.Hub.ClearLog();
    }

    public void Dispose() => scratch.Dispose();

    [Fact]
    public void Tags_list_timms_pretrained_weights_with_the_default_first()
    {
        ModelZoo.Tags("resnest50d").Should().Equal("resnest50d.in1k");
        ModelZoo.Tags("resnet50").Should().Equal(
            "resnet50.a1_in1k", "resnet50.a1h_in1k", "resnet50.a2_in1k", "resnet50.a3_in1k", "resnet50.b1k_in1k", "resnet50.b2k_in1k",
            "resnet50.c1_in1k", "resnet50.c2_in1k", "resnet50.d_in1k", "resnet50.ram_in1k", "resnet50.am_in1k", "resnet50.ra_in1k",
            "resnet50.bt_in1k", "resnet50.tv_in1k", "resnet50.tv2_in1k", "resnet50.fb_ssl_yfcc100m_ft_in1k", "resnet50.fb_swsl_ig1b_ft_in1k");
        ModelZoo.Tags("resnet50.tv_in1k").Should().Equal(ModelZoo.Tags("resnet50"));
        foreach (string name in ModelZoo.Names)
        {
            string hubId = Manifest.Load(name).PretrainedConfig.GetProperty("hf_hub_id").GetString()!;
            ModelZoo.Tags(name)[0].Should().Be(hubId["timm/".Length..], $"{name}'s default tag is timm's");
            ModelZoo.Pretrained(ModelZoo.Tags(name)[0]).Should().Be(ModelZoo.Pretrained(name));
            ModelZoo.Tags(name).Should().OnlyHaveUniqueItems().And.OnlyContain(t => t.StartsWith(name + ".", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void A_tag_selects_its_own_evaluation_settings_and_the_same_architecture()
    {
        var tv2 = ModelZoo.Pretrained("resnet50.tv2_in1k");
        tv2.Source!.Id.Should().Be("timm/resnet50.tv2_in1k");
        (tv2.InputSize, tv2.CropFraction, tv2.Interpolation).Should().Be((176, 0.875, Interpolation.Bilinear));
        var a3 = ModelZoo.Pretrained("seresnet50.a3_in1k");
        (a3.InputSize, a3.CropFraction, a3.Interpolation).Should().Be((160, 0.95, Interpolation.Bicubic));
        ModelZoo.Pretrained("resnet50d.ra4_e3600_r224_in1k").Mean.Should().Equal(0.5f, 0.5f, 0.5f);
        ModelZoo.Config("resnet50.tv2_in1k").Should().Be(ModelZoo.Config("resnet50"));
        ModelZoo.Contains("resnet50.tv2_in1k").Should().BeTrue();
        ModelZoo.Contains("resnet50.tv3_in1k").Should().BeFalse();
        ModelZoo.Contains("resnet51.tv2_in1k").Should().BeFalse();
        using var model = ModelZoo.Create("resnet18.tv_in1k", numClasses: 0);
        model.Config.Should().Be(ModelZoo.Config("resnet18") with { NumClasses = 0 });
    }

    [Theory]
    [InlineData("resnest50d.in22k", "Unknown pretrained tag 'resnest50d.in22k'. Tags of resnest50d: resnest50d.in1k. (Parameter 'name')")]
    [InlineData("resnet18.", "Unknown pretrained tag 'resnet18.'. Tags of resnet18: resnet18.a1_in1k, resnet18.a2_in1k, resnet18.a3_in1k, resnet18.tv_in1k, resnet18.fb_ssl_yfcc100m_ft_in1k, resnet18.fb_swsl_ig1b_ft_in1k. (Parameter 'name')")]
    [InlineData("resnest51d.in1k", "Unknown model 'resnest51d'. Known models: ")]
    public void Unknown_tags_and_models_are_named_before_anything_is_built(string name, string message)
    {
        var thrown = FluentActions.Invoking(() => ModelZoo.Create(name, pretrained: true)).Should().Throw<ArgumentException>().Which;

        thrown.Message.Should().StartWith(message);
        fixture.Hub.Log.Should().BeEmpty();
    }

    [Fact]
    public async Task CreatePretrainedAsync_loads_the_hub_weights_and_gives_the_logits_of_the_file()
    {
        var progress = new ProgressLog();

        using var model = await ModelZoo.CreatePretrainedAsync("resnest14d", hub: scratch.Options(fixture.Hub), progress: progress);
        using var direct = ModelZoo.Create("resnest14d");
        direct.LoadWeights(fixture.WeightsPath);

        HubWeights.StateEquals(model, fixture.Weights).Should().BeTrue();
        model.eval();
        direct.eval();
        using (no_grad())
        {
            using var input = randn(1, 3, 64, 64, generator: new Generator(5));
            using var expected = direct.call(input);
            using var actual = model.call(input);
            actual.allclose(expected, rtol: 0, atol: 0).Should().BeTrue();
        }
        progress.Reports[^1].BytesDone.Should().Be(fixture.Weights.Length);
        fixture.Hub.Log.Select(r => $"{r.Method} {r.Path}").Should().Equal(
            "HEAD /timm/resnest14d.gluon_in1k/resolve/main/model.safetensors", $"GET /lfs/{FakeHub.Sha256(fixture.Weights)}");
    }

    [Fact]
    public async Task Another_class_count_loads_everything_but_the_classifier_as_timm_does()
    {
        using var tenClasses = await ModelZoo.CreatePretrainedAsync("resnest14d.gluon_in1k", numClasses: 10, hub: scratch.Options(fixture.Hub));
        using var headless = ModelZoo.Create("resnest14d", numClasses: 0);
        var result = await headless.LoadPretrainedAsync("timm/resnest14d.gluon_in1k", scratch.Options(fixture.Hub));

        tenClasses.state_dict()["fc.weight"].shape.Should().Equal(10, 2048);
        HubWeights.StateEquals(tenClasses, fixture.Weights, exceptClassifier: true).Should().BeTrue();
        HubWeights.StateEquals(headless, fixture.Weights, exceptClassifier: true).Should().BeTrue();
        result.SkippedKeys.Should().BeEquivalentTo("fc.weight", "fc.bias");
        result.MissingKeys.Should().BeEmpty();
        result.UnexpectedKeys.Should().BeEmpty();
        fixture.Hub.LfsTransfers.Should().Be(1, "the second load finds the blob in the cache");
    }

    [Fact]
    public async Task A_custom_model_whose_keys_differ_is_refused_and_left_unchanged()
    {
        using var custom = new ResNet(new ResNetConfig(new BottleneckSpec(), new[] { 1, 1, 1, 1 }));
        var before = custom.state_dict()["conv1.weight"].clone();

        var thrown = await custom.Invoking(m => m.LoadPretrainedAsync("timm/resnest14d.gluon_in1k", scratch.Options(fixture.Hub)))
            .Should().ThrowAsync<StateDictMismatchException>();

        thrown.Which.Message.Should().StartWith("The state dict does not fit ResNet; nothing was loaded.");
        custom.state_dict()["conv1.weight"].allclose(before, rtol: 0, atol: 0).Should().BeTrue();
    }
}
