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

/// <summary>Save then Load returns every tensor bit for bit: dtype, shape and raw bytes, non-finite values included.</summary>
public sealed class SafeTensorsRoundTripTests : IDisposable
{
    private readonly TempFolder temp = new("st-roundtrip");

    public void Dispose() => temp.Dispose();

    /// <summary>A tensor of <paramref name="type"/> whose bytes are seeded random (0/1 for bool), so every bit pattern can occur.</summary>
    private static Tensor Random(ScalarType type, long[] shape, int seed)
    {
        var tensor = empty(shape, type);
        var bytes = new byte[tensor.numel() * tensor.ElementSize];
        var random = new Random(seed);
        random.NextBytes(bytes);
        if (type == ScalarType.Bool)
            for (int i = 0; i < bytes.Length; i++)
                bytes[i] &= 1;
        if (bytes.Length > 0)
            tensor.bytes = bytes;
        return tensor;
    }

    public static IEnumerable<object[]> Cases() =>
        from type in new[] { ScalarType.Float32, ScalarType.Float16, ScalarType.BFloat16, ScalarType.Int64, ScalarType.Bool,
                             ScalarType.Float64, ScalarType.Int32, ScalarType.Int16, ScalarType.Int8, ScalarType.Byte }
        from shape in new[] { "3x5", "scalar", "empty", "2x0x3" }
        select new object[] { type, shape };

    private static long[] Shape(string name) => name switch
    {
        "3x5" => [3, 5],
        "scalar" => [],
        "empty" => [0],
        "2x0x3" => [2, 0, 3],
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Save_then_load_is_bit_exact(ScalarType type, string shapeName)
    {
        using var scope = NewDisposeScope();
        var original = Random(type, Shape(shapeName), seed: (int)type * 31 + shapeName.Length);
        string path = Path.Combine(temp.Path, "one.safetensors");
        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["t"] = original });

        var loaded = SafeTensors.Load(path);
        loaded.Keys.Should().Equal("t");
        var t = loaded["t"];
        t.dtype.Should().Be(type);
        t.shape.Should().Equal(original.shape);
        t.bytes.ToArray().Should().Equal(original.bytes.ToArray());
    }

    [Fact]
    public void Many_tensors_with_metadata_and_non_finite_values_round_trip()
    {
        using var scope = NewDisposeScope();
        var nan = BitConverter.Int32BitsToSingle(0x7FC0_1234); // a NaN with a payload
        var tensors = new Dictionary<string, Tensor>
        {
            ["z.special"] = tensor(new[] { float.NaN, nan, float.PositiveInfinity, float.NegativeInfinity, -0.0f, float.Epsilon }),
            ["a.weight"] = Random(ScalarType.BFloat16, [4, 3, 3, 3], 1),
            ["m.half"] = Random(ScalarType.Float16, [7], 2),
            ["b.count"] = tensor(42L),
            ["c.mask"] = tensor(new[] { true, false, true }),
            ["d.none"] = empty([0, 4], ScalarType.Float32),
        };
        var metadata = new Dictionary<string, string> { ["format"] = "pt", ["note"] = "ünïcode \"quoted\" <tag>" };
        string path = Path.Combine(temp.Path, "many.safetensors");
        SafeTensors.Save(path, tensors, metadata);

        var header = SafeTensors.ReadHeader(path);
        header.Metadata.Should().BeEquivalentTo(metadata);
        header.Entries.Select(e => e.Key).Should().Equal("a.weight", "b.count", "c.mask", "d.none", "m.half", "z.special");
        (header.DataStart % 8).Should().Be(0, "the header is padded to a multiple of 8 bytes");

        var loaded = SafeTensors.Load(path);
        loaded.Keys.Should().BeEquivalentTo(tensors.Keys);
        foreach (var (key, expected) in tensors)
        {
            loaded[key].dtype.Should().Be(expected.dtype, key);
            loaded[key].shape.Should().Equal(expected.shape, key);
            loaded[key].bytes.ToArray().Should().Equal(expected.bytes.ToArray(), key);
        }
        BitConverter.SingleToInt32Bits(loaded["z.special"][1].item<float>()).Should().Be(0x7FC0_1234, "NaN payloads load as stored");
    }

    [Fact]
    public void Saving_a_non_contiguous_tensor_writes_its_logical_order()
    {
        using var scope = NewDisposeScope();
        var transposed = arange(6, ScalarType.Float32).reshape(2, 3).t();
        string path = Path.Combine(temp.Path, "t.safetensors");
        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["t"] = transposed });
        var loaded = SafeTensors.Load(path)["t"];
        loaded.shape.Should().Equal(3, 2);
        loaded.data<float>().ToArray().Should().Equal(0f, 3f, 1f, 4f, 2f, 5f);
    }

    [Fact]
    public void A_tensor_named_like_the_metadata_key_is_refused_and_nothing_is_written()
    {
        using var scope = NewDisposeScope();
        string path = Path.Combine(temp.Path, "bad.safetensors");
        FluentActions.Invoking(() => SafeTensors.Save(path, new Dictionary<string, Tensor> { ["__metadata__"] = zeros(1) }))
            .Should().Throw<ArgumentException>().WithMessage("*'__metadata__'*");
        Directory.GetFiles(temp.Path).Should().BeEmpty();
    }

    [Fact]
    public void An_unsupported_dtype_is_refused_and_leaves_no_file()
    {
        using var scope = NewDisposeScope();
        string path = Path.Combine(temp.Path, "complex.safetensors");
        FluentActions.Invoking(() => SafeTensors.Save(path, new Dictionary<string, Tensor> { ["c"] = zeros(2, ScalarType.ComplexFloat32) }))
            .Should().Throw<ArgumentException>().WithMessage("*ComplexFloat32*");
        Directory.GetFiles(temp.Path).Should().BeEmpty();
    }
}
