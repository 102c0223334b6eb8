using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using FluentAssertions;
using ResNeStBlocks.Layers;
using ResNeStBlocks.Weights;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using ResNeStBlocks.Testing;

namespace ResNeStBlocks.Tests.Weights;

/// <summary>
/// Half-precision files into float32 modules (exact widening) and float32 files into float16 / bfloat16 modules
/// (round to nearest, ties to even), each compared with conversions computed here without torch.
/// </summary>
public sealed class StateDictConversionTests : IDisposable
{
    private readonly TempFolder temp = new("st-convert");

    public void Dispose() => temp.Dispose();

    /// <summary>float32 values that probe rounding: exact ties, just-above-ties, overflow, subnormals, signed zero, non-finite.</summary>
    private static readonly float[] Probes =
    [
        1f + MathF.Pow(2, -11), 1f + 3 * MathF.Pow(2, -11), 1f + MathF.Pow(2, -11) + MathF.Pow(2, -20),   // float16 ties around 1
        1f + MathF.Pow(2, -8), 1f + 3 * MathF.Pow(2, -8), 1f + MathF.Pow(2, -8) + MathF.Pow(2, -20),      // bfloat16 ties around 1
        65504f, 65519.99f, 65520f, 70000f, -1e10f, float.MaxValue,                                         // float16 range edge
        MathF.Pow(2, -25), 3 * MathF.Pow(2, -25), MathF.Pow(2, -24), 1e-8f, 1e-45f,                        // float16 subnormals
        -0f, 0.1f, -2.5f, float.PositiveInfinity, float.NegativeInfinity, float.NaN,
        3.3895314e38f, 1.1754944e-38f, 9.18355e-41f, 123456.789f, -0.33333334f, 1f, -65504f,
    ];

    private static ushort[] Raw16(Tensor t) => MemoryMarshal.Cast<byte, ushort>(t.detach().cpu().contiguous().bytes).ToArray();

    private static float[] Floats(Tensor t) => t.detach().cpu().contiguous().data<float>().ToArray();

    /// <summary>float32 to bfloat16 by round to nearest, ties to even, on the bit pattern.</summary>
    private static ushort ToBFloat16(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        uint lsb = (bits >> 16) & 1;
        return (ushort)((bits + 0x7FFF + lsb) >> 16);
    }

    private static nn.Module Conv(int seed)
    {
        torch.manual_seed(seed);
        return nn.Conv2d(6, 5, 1); // weight [5, 6, 1, 1] (30 values), bias [5]
    }

    private static Dictionary<string, Tensor> ProbeWeights()
    {
        var weight = tensor(Probes).reshape(5, 6, 1, 1);
        return new() { ["weight"] = weight, ["bias"] = tensor(new[] { 0.5f, -0.75f, 1e-5f, 3f, -7f }) };
    }

    [Fact]
    public void A_float16_file_loads_into_a_float32_module_exactly()
    {
        using var scope = NewDisposeScope();
        using var se = new SqueezeExcite(64);
        var random = new Random(5);
        var half = new Dictionary<string, Tensor>();
        foreach (var (key, p) in se.state_dict())
        {
            var t = empty(p.shape, ScalarType.Float16);
            var bits = new ushort[t.numel()];
            for (int i = 0; i < bits.Length; i++) bits[i] = (ushort)random.Next(65536); // every pattern: subnormal, inf, NaN
            t.bytes = MemoryMarshal.AsBytes(bits.AsSpan()).ToArray();
            half[key] = t;
        }
        string path = Path.Combine(temp.Path, "half.safetensors");
        SafeTensors.Save(path, half);

        StateDictLoader.LoadFile(se, path);

        foreach (var (key, p) in se.state_dict())
        {
            p.dtype.Should().Be(ScalarType.Float32);
            var expected = Raw16(half[key]).Select(b => (float)BitConverter.UInt16BitsToHalf(b)).ToArray();
            var actual = Floats(p);
            for (int i = 0; i < expected.Length; i++)
                if (float.IsNaN(expected[i])) actual[i].Should().Be(float.NaN, $"{key}[{i}]");
                else BitConverter.SingleToInt32Bits(actual[i]).Should().Be(BitConverter.SingleToInt32Bits(expected[i]), $"{key}[{i}]");
        }
    }

    [Fact]
    public void A_bfloat16_file_loads_into_a_float32_module_exactly()
    {
        using var scope = NewDisposeScope();
        using var conv = Conv(1);
        var random = new Random(6);
        var bf16 = new Dictionary<string, Tensor>();
        foreach (var (key, p) in conv.state_dict())
        {
            var t = empty(p.shape, ScalarType.BFloat16);
            var bits = new ushort[t.numel()];
            for (int i = 0; i < bits.Length; i++) bits[i] = (ushort)random.Next(65536);
            bits[0] = 0x7F80; // +inf
            t.bytes = MemoryMarshal.AsBytes(bits.AsSpan()).ToArray();
            bf16[key] = t;
        }
        string path = Path.Combine(temp.Path, "bf16.safetensors");
        SafeTensors.Save(path, bf16);

        StateDictLoader.LoadFile(conv, path);

        foreach (var (key, p) in conv.state_dict())
        {
            var expected = Raw16(bf16[key]).Select(b => BitConverter.Int32BitsToSingle(b << 16)).ToArray();
            var actual = Floats(p);
            for (int i = 0; i < expected.Length; i++)
                if (float.IsNaN(expected[i])) actual[i].Should().Be(float.NaN, $"{key}[{i}]");
                else BitConverter.SingleToInt32Bits(actual[i]).Should().Be(BitConverter.SingleToInt32Bits(expected[i]), $"{key}[{i}]");
        }
    }

    [Fact]
    public void A_float32_file_loads_into_a_float16_module_rounding_to_nearest_even()
    {
        using var scope = NewDisposeScope();
        using var conv = Conv(2);
        conv.to(ScalarType.Float16);
        var weights = ProbeWeights();
        string path = Path.Combine(temp.Path, "f32.safetensors");
        SafeTensors.Save(path, weights);

        StateDictLoader.LoadFile(conv, path);

        foreach (var (key, p) in conv.state_dict())
        {
            p.dtype.Should().Be(ScalarType.Float16);
            var source = Floats(weights[key]);
            var actual = Raw16(p);
            for (int i = 0; i < source.Length; i++)
            {
                Half expected = (Half)source[i]; // .NET's conversion rounds to nearest, ties to even
                if (Half.IsNaN(expected)) Half.IsNaN(BitConverter.UInt16BitsToHalf(actual[i])).Should().BeTrue($"{key}[{i}] is NaN");
                else actual[i].Should().Be(BitConverter.HalfToUInt16Bits(expected), $"{key}[{i}] = {source[i]:R}");
            }
        }
        // Spot checks that pin the rule itself, independent of any library: ties go to the even neighbour.
        var w = Raw16(conv.state_dict()["weight"]);
        w[0].Should().Be(0x3C00, "1 + 2^-11 ties to 1");
        w[1].Should().Be(0x3C02, "1 + 3*2^-11 ties to 1 + 2^-9");
        w[2].Should().Be(0x3C01, "just above the tie rounds up");
        w[8].Should().Be(0x7C00, "65520 ties to infinity");
        w[12].Should().Be(0x0000, "2^-25 ties to zero");
        w[13].Should().Be(0x0002, "3*2^-25 ties to two subnormal units");
    }

    [Fact]
    public void A_float32_file_loads_into_a_bfloat16_module_rounding_to_nearest_even()
    {
        using var scope = NewDisposeScope();
        using var conv = Conv(3);
        conv.to(ScalarType.BFloat16);
        var weights = ProbeWeights();
        string path = Path.Combine(temp.Path, "f32.safetensors");
        SafeTensors.Save(path, weights);

        StateDictLoader.LoadFile(conv, path);

        foreach (var (key, p) in conv.state_dict())
        {
            p.dtype.Should().Be(ScalarType.BFloat16);
            var source = Floats(weights[key]);
            var actual = Raw16(p);
            for (int i = 0; i < source.Length; i++)
            {
                if (float.IsNaN(source[i])) ((actual[i] & 0x7F80) == 0x7F80 && (actual[i] & 0x7F) != 0).Should().BeTrue($"{key}[{i}] is NaN");
                else actual[i].Should().Be(ToBFloat16(source[i]), $"{key}[{i}] = {source[i]:R}");
            }
        }
        var w = Raw16(conv.state_dict()["weight"]);
        w[3].Should().Be(0x3F80, "1 + 2^-8 ties to 1");
        w[4].Should().Be(0x3F82, "1 + 3*2^-8 ties to 1 + 2^-6");
        w[5].Should().Be(0x3F81, "just above the tie rounds up");
        w[11].Should().Be(0x7F80, "float.MaxValue rounds to infinity");
    }
}
