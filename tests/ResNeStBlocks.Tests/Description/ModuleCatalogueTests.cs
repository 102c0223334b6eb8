using System;
using System.Linq;
using System.Reflection;
using FluentAssertions;
using ResNeStBlocks.Backbones;
using ResNeStBlocks.Blocks;
using ResNeStBlocks.Dense;
using ResNeStBlocks.Description;
using ResNeStBlocks.Layers;
using ResNeStBlocks.Runtime;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace ResNeStBlocks.Tests.Description;

/// <summary>
/// The library's module catalogue, read from the assembly: every module type has a description (or is the identity in
/// eval mode), so folding, export, the summary and the input-channel inference cover a new module the day it is added.
/// </summary>
public class ModuleCatalogueTests
{
    [Fact]
    public void Every_module_type_of_the_library_is_described()
    {
        var modules = typeof(ResNet).Assembly.GetTypes()
            .Where(t => typeof(nn.Module).IsAssignableFrom(t) && !t.IsAbstract)
            .ToList();
        modules.Should().NotBeEmpty();
        var undescribed = modules.Where(t => !typeof(IDescribedModule).IsAssignableFrom(t) && !typeof(IDescribedOutputs).IsAssignableFrom(t));
        // Modules with several inputs cannot start a one-input graph: the DeepLabV3+ head and the feature pyramid state their
        // descriptions in methods that the modules feeding them call (SegmentationModel, BackboneWithFpn).
        // The detectors' modules (ResNeStBlocks.Detection.Models) describe their dense parts (Faster R-CNN's body, pyramid and
        // heads); the detectors themselves, whose post-processing needs RoiAlign, NonMaxSuppression and TopK, are exported
        // by ResNeStBlocks.Onnx's detector graph, and the heads with several inputs or outputs state theirs in methods.
        var detectors = typeof(ResNeStBlocks.Detection.Models.FasterRcnn).Namespace;
        undescribed = undescribed.Where(t => t.Namespace != detectors);
        undescribed.Select(t => t.FullName).Should().BeEquivalentTo(new[] { typeof(DeepLabV3PlusHead).FullName, typeof(FeaturePyramidNetwork).FullName },
            "every module type with one input states its forward as a description");
    }

    [Fact]
    public void Building_any_module_type_of_the_library_runs_the_cpu_convolution_check()
    {
        var check = typeof(NativeRuntime).GetMethod("EnsureCpuChecked", BindingFlags.NonPublic | BindingFlags.Static)!;
        var unchecked_ = typeof(ResNet).Assembly.GetTypes()
            .Where(t => typeof(nn.Module).IsAssignableFrom(t) && !t.IsAbstract)
            .Where(t => !RunsCheck(t, check))
            .Select(t => t.FullName);
        unchecked_.Should().BeEmpty("every constructor (its own or its base's) runs the check before the module can convolve");
    }

    [Fact]
    public void Input_channels_are_read_from_the_first_layer_that_reads_the_input()
    {
        using var se = new SqueezeExcite(24);
        using var sk = new SelectiveKernel(32, 16, splitInput: true);
        using var stem = nn.Sequential(nn.ReLU(), nn.Conv2d(5, 8, 3));
        using var block = new ResNeStBottleneck(48, 12, placement: new BlockPlacement(Downsample: Downsample.Average(48, 48)));
        using var pooled = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(7, 2));
        using var upsampling = nn.Sequential(nn.ReLU(), nn.ConvTranspose2d(6, 4, 2, stride: 2));

        InputChannels.Of(se).Should().Be(24, "pooling keeps the channels that SE's first convolution reads");
        InputChannels.Of(sk).Should().Be(32, "each of the 2 branches reads half of the input");
        InputChannels.Of(stem).Should().Be(5);
        InputChannels.Of(block).Should().Be(48);
        InputChannels.Of(pooled).Should().BeNull("the linear layer reads the flattened pool, not the input");
        InputChannels.Of(upsampling).Should().Be(6, "a transposed convolution reads its input channels too");
    }

    /// <summary>Whether every constructor of <paramref name="type"/>, or every constructor of a library base type, calls <paramref name="check"/>.</summary>
    private static bool RunsCheck(Type type, MethodInfo check)
    {
        for (var current = type; current is not null && current.Assembly == check.Module.Assembly; current = current.BaseType)
        {
            var constructors = current.GetConstructors(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic);
            // A constructor that hands over to another of its type (": this(...)") runs what that one runs.
            var checking = constructors.Where(c => Calls(c, check)).ToList();
            if (checking.Count > 0 && constructors.All(c => checking.Contains(c) || checking.Any(target => Calls(c, target))))
                return true;
        }
        return false;
    }

    /// <summary>Whether the IL of <paramref name="method"/> holds a <c>call</c> of <paramref name="target"/>.</summary>
    private static bool Calls(MethodBase method, MethodBase target)
    {
        var il = method.GetMethodBody()?.GetILAsByteArray() ?? Array.Empty<byte>();
        for (int i = 0; i + 4 < il.Length; i++)
        {
            if (il[i] != 0x28)   // call
                continue;
            try
            {
                if (method.Module.ResolveMethod(BitConverter.ToInt32(il, i + 1)) == target)
                    return true;
            }
            catch (ArgumentException)
            {
                // A byte inside another instruction's operand: not a call.
            }
        }
        return false;
    }
}
