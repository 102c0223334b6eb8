using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using FluentAssertions;
using ResNeStBlocks.Weights;
using Xunit;
using static TorchSharp.torch;
using ResNeStBlocks.Testing;

namespace ResNeStBlocks.Tests.Weights;

/// <summary>A save flushes the file and its directory before it counts as done: what is read back is what was written, and no temporary stays.</summary>
public sealed class DurableSaveTests : IDisposable
{
    private readonly TempFolder temp = new("durable");

    public void Dispose() => temp.Dispose();

    [Fact]
    public void Saved_tensors_read_back_bit_for_bit_and_replace_the_old_file()
    {
        string path = Path.Combine(temp.Path, "weights.safetensors");
        var generator = new Generator(9);
        using var first = randn(new long[] { 3, 5 }, generator: generator);
        using var second = randn(new long[] { 7 }, generator: generator);
        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["a"] = first });

        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["a"] = first, ["b"] = second }, new Dictionary<string, string> { ["note"] = "second" });

        var loaded = SafeTensors.Load(path);
        loaded.Keys.Should().BeEquivalentTo("a", "b");
        loaded["a"].data<float>().ToArray().Should().Equal(first.data<float>().ToArray());
        loaded["b"].data<float>().ToArray().Should().Equal(second.data<float>().ToArray());
        SafeTensors.ReadHeader(path).Metadata["note"].Should().Be("second");
        Directory.GetFiles(temp.Path).Select(Path.GetFileName).Should().Equal("weights.safetensors");
        foreach (var value in loaded.Values)
            value.Dispose();
    }
}
