using System;
using System.Collections.Generic;
using FluentAssertions;
using ResNeStBlocks.Backbones;
using ResNeStBlocks.Blocks;
using ResNeStBlocks.Layers;
using Xunit;
using static TorchSharp.torch;

namespace ResNeStBlocks.Tests.Blocks;

/// <summary>
/// Any integer combination either builds a block or throws ArgumentException: never a division by zero,
/// an overflow or a native error; and the sample holds both kinds. (Kernel sizes are forced odd, <c>v | 1</c>, so that
/// some Selective Kernels build; -3, -1 and 1 still test the rejection.)
/// </summary>
public class ConstructorFuzzTests
{
    private static readonly int[] Values = { -3, -1, 0, 1, 2, 3, 4, 5, 6, 8, 12, 16, 24, 32, 64 };

    private static readonly Dictionary<string, Func<int[], nn.Module>> Constructors = new()
    {
        ["SqueezeExcite"] = v => new SqueezeExcite(v[0], v[1] / 16.0, v[2], v[3] == 0 ? null : v[3]),
        ["SelectiveKernel"] = v => new SelectiveKernel(v[0], v[1], new[] { v[2] | 1, v[3] | 1 }, v[4], v[5], v[6], 1.0 / 16, v[7], splitInput: v[8] % 2 == 0),
        ["SplitAttention"] = v => new SplitAttention(v[0], v[1], new SplitAttentionOptions(v[2], v[3], v[4] < 0 ? null : v[4], v[5], v[6], v[7], 0.25, v[8])),
        ["ConvNormAct"] = v => new ConvNormAct(v[0], v[1], v[2], v[3], v[4], v[5]),
        ["BasicBlock"] = v => new BasicBlock(v[0], v[1], new BasicBlockSpec { ReduceFirst = v[3] }, Placement(v, 1)),
        ["Bottleneck"] = v => new Bottleneck(v[0], v[1], new BottleneckSpec(v[3], v[4]) { ReduceFirst = v[5] }, Placement(v, 4)),
        ["Res2NetBottleneck"] = v => new Res2NetBottleneck(v[0], v[1], new Res2NetSpec(v[3], v[4], v[5]), Placement(v, 4)),
        ["ResNeStBottleneck"] = v => new ResNeStBottleneck(v[0], v[1], new ResNeStSpec(v[3], v[4], v[5], v[6] % 2 == 0, v[7] % 2 == 0), Placement(v, 4)),
        ["SelectiveKernelBasicBlock"] = v => new SelectiveKernelBasicBlock(v[0], v[1], new SelectiveKernelBasicSpec { ReduceFirst = v[3] }, Placement(v, 1)),
        ["SelectiveKernelBottleneck"] = v => new SelectiveKernelBottleneck(v[0], v[1], new SelectiveKernelBottleneckSpec(v[3], v[4]) { ReduceFirst = v[5] }, Placement(v, 4)),
        ["Stem"] = v => StemConvolutions.Create((StemType)(Math.Abs(v[0]) % 3), v[1], v[2]).Module,
        ["DropBlock"] = v => new DropBlock(v[0] / 10.0, v[1], v[2]),
        ["Downsample.Convolution"] = v => Downsample.Convolution(v[0], v[1], v[2], v[3], v[4], v[5]),
        ["Downsample.Average"] = v => Downsample.Average(v[0], v[1], v[2], v[3]),
    };

    /// <summary>Stride v[2]; on even v[8] the shortcut a block of that stride and width needs (itself fuzzed), otherwise none.</summary>
    private static BlockPlacement Placement(int[] v, int expansion) =>
        new(v[2], v[8] % 2 == 0 ? Downsample.Convolution(v[0], v[1] * expansion, 1, v[2]) : null);

    public static IEnumerable<object[]> Names()
    {
        foreach (var name in Constructors.Keys)
            yield return new object[] { name };
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Every_integer_combination_builds_or_throws_ArgumentException(string name)
    {
        var create = Constructors[name];
        var random = new Random(name.Length * 7919);
        int built = 0, rejected = 0;
        for (int trial = 0; trial < 300; trial++)
        {
            var values = new int[9];
            for (int i = 0; i < values.Length; i++)
                values[i] = Values[random.Next(Values.Length)];
            try
            {
                using var module = create(values);
                built++;
            }
            catch (ArgumentException)
            {
                rejected++;
            }
            catch (Exception e)
            {
                throw new Xunit.Sdk.XunitException($"{name}({string.Join(", ", values)}) threw {e.GetType().Name}: {e.Message}");
            }
        }
        built.Should().BePositive("the sample includes valid arguments, which must build");
        rejected.Should().BePositive("the sample includes impossible arguments");
    }
}
