using System;
using System.Collections.Generic;
using System.IO;
using FluentAssertions;
using ResNeStBlocks.Hub;
using ResNeStBlocks.Testing;
using Xunit;

namespace ResNeStBlocks.Tests.Hub;

/// <summary>huggingface_hub's environment variables and their precedence, read from dictionaries (the process environment is untouched).</summary>
public sealed class HubEnvironmentTests : IDisposable
{
    private readonly HubScratch scratch = new();

    public void Dispose() => scratch.Dispose();

    private static Func<string, string?> Variables(params (string Name, string Value)[] pairs)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in pairs)
            map[name] = value;
        return name => map.TryGetValue(name, out var value) ? value : null;
    }

    [Fact]
    public void The_cache_is_HF_HUB_CACHE_else_HF_HOME_hub_else_XDG_CACHE_HOME_else_the_home_folder()
    {
        string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);

        new HubOptions(Variables(("HF_HUB_CACHE", "/data/hub"), ("HF_HOME", "/data/hf"), ("XDG_CACHE_HOME", "/xdg"))).CacheDirectory.Should().Be("/data/hub");
        new HubOptions(Variables(("HF_HOME", "/data/hf"), ("XDG_CACHE_HOME", "/xdg"))).CacheDirectory.Should().Be("/data/hf/hub");
        new HubOptions(Variables(("XDG_CACHE_HOME", "/xdg"))).CacheDirectory.Should().Be("/xdg/huggingface/hub");
        new HubOptions(Variables()).CacheDirectory.Should().Be(Path.Combine(home, ".cache", "huggingface", "hub"));
        new HubOptions(Variables(("HF_HOME", "~/hf"))).CacheDirectory.Should().Be(Path.Combine(home, "hf", "hub"));
    }

    [Fact]
    public void The_endpoint_is_HF_ENDPOINT_without_its_trailing_slash_else_the_public_Hub()
    {
        new HubOptions(Variables(("HF_ENDPOINT", "https://hf-mirror.example/"))).Endpoint.Should().Be("https://hf-mirror.example");
        new HubOptions(Variables()).Endpoint.Should().Be("https://huggingface.co");
    }

    [Fact]
    public void The_token_is_HF_TOKEN_else_the_token_file_under_HF_HOME_or_HF_TOKEN_PATH()
    {
        string hfHome = Path.Combine(scratch.Root, "hf");
        Directory.CreateDirectory(hfHome);
        File.WriteAllText(Path.Combine(hfHome, "token"), "hf_from_file\n");
        string other = Path.Combine(scratch.Root, "other-token");
        File.WriteAllText(other, "  hf_from_path  ");

        new HubOptions(Variables(("HF_TOKEN", "hf_from_env"), ("HF_HOME", hfHome))).Token.Should().Be("hf_from_env");
        new HubOptions(Variables(("HF_HOME", hfHome))).Token.Should().Be("hf_from_file");
        new HubOptions(Variables(("HF_HOME", hfHome), ("HF_TOKEN_PATH", other))).Token.Should().Be("hf_from_path");
        new HubOptions(Variables(("HF_HOME", Path.Combine(scratch.Root, "empty")))).Token.Should().BeNull();
    }

    [Theory]
    [InlineData("1", true)]
    [InlineData("true", true)]
    [InlineData("YES", true)]
    [InlineData("on", true)]
    [InlineData("0", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void HF_HUB_OFFLINE_accepts_huggingface_hubs_true_values(string? value, bool offline) =>
        new HubOptions(value is null ? Variables() : Variables(("HF_HUB_OFFLINE", value))).Offline.Should().Be(offline);

    [Theory]
    [InlineData("", "model.safetensors", "main", "repoId", "Repository id must be 'name' or 'owner/name' without spaces, '--' or '..', such as 'timm/resnest50d.in1k'; got ''.")]
    [InlineData("timm/a/b", "model.safetensors", "main", "repoId", "Repository id must be 'name' or 'owner/name' without spaces, '--' or '..', such as 'timm/resnest50d.in1k'; got 'timm/a/b'.")]
    [InlineData("timm/x", "../secret", "main", "fileName", "File name must be a relative path inside the repository with '/' separators, such as 'model.safetensors'; got '../secret'.")]
    [InlineData("timm/x", "model.safetensors", "", "revision", "Revision must be a branch, tag or commit hash, such as 'main'; got ''.")]
    public void Malformed_names_fail_before_any_request(string repoId, string fileName, string revision, string parameter, string message)
    {
        using var client = new HubClient(scratch.Options(null));

        var thrown = client.Invoking(c => c.TryGetCached(repoId, fileName, revision)).Should().Throw<ArgumentException>().Which;

        thrown.ParamName.Should().Be(parameter);
        thrown.Message.Should().StartWith(message);
    }

    [Fact]
    public void Options_out_of_range_fail_when_the_client_is_created()
    {
        var options = scratch.Options(null);

        FluentActions.Invoking(() => new HubClient(options with { Endpoint = "ftp://mirror" })).Should().Throw<ArgumentException>()
            .WithMessage("HubOptions.Endpoint must be an absolute http or https URL, such as https://huggingface.co; got 'ftp://mirror'. (Parameter 'options')");
        FluentActions.Invoking(() => new HubClient(options with { MaxRetries = -1 })).Should().Throw<ArgumentException>()
            .WithMessage("HubOptions.MaxRetries must be 0 or more; got -1. (Parameter 'options')");
        FluentActions.Invoking(() => new HubClient(options with { Timeout = TimeSpan.Zero })).Should().Throw<ArgumentException>()
            .WithMessage("HubOptions.Timeout must be positive and RetryDelay and MaxRetryDelay not negative; got 00:00:00, 00:00:00.0010000 and 00:00:00.0050000. (Parameter 'options')");
    }
}
