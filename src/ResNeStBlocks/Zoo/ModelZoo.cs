using System;
using System.Collections.Generic;
using System.Linq;
using ResNeStBlocks.Backbones;
using ResNeStBlocks.Blocks;
using ResNeStBlocks.Preprocessing;
using ResNeStBlocks.Weights;

namespace ResNeStBlocks.Zoo;

/// <summary>
/// The model registry: every supported timm model name with its architecture and the preprocessing its
/// published weights expect. Parameter counts and state-dict keys equal timm's for every name.
/// </summary>
public static partial class ModelZoo
{
    private sealed record Entry(ResNetConfig Config, PretrainedConfig Pretrained, long TimmParameters = 0);

    private static readonly int[] Layers18 = { 2, 2, 2, 2 };
    private static readonly int[] Layers50 = { 3, 4, 6, 3 };
    private static readonly int[] Layers101 = { 3, 4, 23, 3 };

    private static readonly SelectiveKernelOptions SkBasic = new(ReductionRatio: 1.0 / 8, ReductionDivisor: 16, SplitInput: true);
    private static readonly SelectiveKernelOptions SkNeXt = new(ReductionRatio: 1.0 / 16, ReductionDivisor: 32, SplitInput: false);

    private static readonly Dictionary<string, Entry> Entries = new(StringComparer.Ordinal)
    {
        // ResNeSt (Zhang et al., 2020): deep stem, avg-down shortcuts, radix-2 Split-Attention, avd after the 3x3.
        ["resnest14d"] = ResNeStD(new[] { 1, 1, 1, 1 }, 32, new ResNeStSpec(), "resnest14d.gluon_in1k", 224, 0.875, Interpolation.Bilinear) with { TimmParameters = 10_611_688 },
        ["resnest26d"] = ResNeStD(Layers18, 32, new ResNeStSpec(), "resnest26d.gluon_in1k", 224, 0.875, Interpolation.Bilinear) with { TimmParameters = 17_069_448 },
        ["resnest50d"] = ResNeStD(Layers50, 32, new ResNeStSpec(), "resnest50d.in1k", 224, 0.875, Interpolation.Bilinear) with { TimmParameters = 27_483_240 },
        ["resnest101e"] = ResNeStD(Layers101, 64, new ResNeStSpec(), "resnest101e.in1k", 256, 0.875, Interpolation.Bilinear) with { TimmParameters = 48_275_016 },
        ["resnest200e"] = ResNeStD(new[] { 3, 24, 36, 3 }, 64, new ResNeStSpec(), "resnest200e.in1k", 320, 0.909, Interpolation.Bicubic) with { TimmParameters = 70_201_544 },
        ["resnest269e"] = ResNeStD(new[] { 3, 30, 48, 8 }, 64, new ResNeStSpec(), "resnest269e.in1k", 416, 0.928, Interpolation.Bicubic) with { TimmParameters = 110_929_480 },
        ["resnest50d_4s2x40d"] = ResNeStD(Layers50, 32, new ResNeStSpec(Radix: 4, Cardinality: 2, BaseWidth: 40, AvdFirst: true),
            "resnest50d_4s2x40d.in1k", 224, 0.875, Interpolation.Bicubic) with { TimmParameters = 30_417_592 },
        ["resnest50d_1s4x24d"] = ResNeStD(Layers50, 32, new ResNeStSpec(Radix: 1, Cardinality: 4, BaseWidth: 24, AvdFirst: true),
            "resnest50d_1s4x24d.in1k", 224, 0.875, Interpolation.Bicubic) with { TimmParameters = 25_677_000 },

        // Res2Net (Gao et al., 2019).
        ["res2net50_26w_4s"] = Plain(Layers50, new Res2NetSpec(BaseWidth: 26, Scale: 4), "res2net50_26w_4s.in1k", 224, 0.875, Interpolation.Bilinear) with { TimmParameters = 25_699_120 },
        ["res2net101_26w_4s"] = Plain(Layers101, new Res2NetSpec(BaseWidth: 26, Scale: 4), "res2net101_26w_4s.in1k", 224, 0.875, Interpolation.Bilinear) with { TimmParameters = 45_206_688 },
        ["res2net50_14w_8s"] = Plain(Layers50, new Res2NetSpec(BaseWidth: 14, Scale: 8), "res2net50_14w_8s.in1k", 224, 0.875, Interpolation.Bilinear) with { TimmParameters = 25_059_816 },
        ["res2net50_48w_2s"] = Plain(Layers50, new Res2NetSpec(BaseWidth: 48, Scale: 2), "res2net50_48w_2s.in1k", 224, 0.875, Interpolation.Bilinear) with { TimmParameters = 25_287_304 },
        ["res2net50d"] = ResNetD(Layers50, new Res2NetSpec(BaseWidth: 26, Scale: 4), "res2net50d.in1k", 224, 0.875, Interpolation.Bilinear) with { TimmParameters = 25_718_352 },
        ["res2next50"] = Plain(Layers50, new Res2NetSpec(Cardinality: 8, BaseWidth: 4, Scale: 4), "res2next50.in1k", 224, 0.875, Interpolation.Bilinear) with { TimmParameters = 24_671_464 },

        // Squeeze-and-Excitation (Hu et al., 2018).
        ["seresnet50"] = Plain(Layers50, new BottleneckSpec(Attention: Attention.SqueezeExcite), "seresnet50.a1_in1k", 224, 0.95, Interpolation.Bicubic) with { TimmParameters = 28_088_024 },
        ["seresnext50_32x4d"] = Plain(Layers50, new BottleneckSpec(32, 4, Attention.SqueezeExcite), "seresnext50_32x4d.racm_in1k", 224, 0.875, Interpolation.Bicubic) with { TimmParameters = 27_559_896 },

        // Selective Kernel (Li et al., 2019); timm trains these without zero-init of the last norm.
        ["skresnet18"] = Plain(Layers18, new SelectiveKernelBasicSpec(SkBasic), "skresnet18.ra_in1k", 224, 0.875, Interpolation.Bicubic, zeroInitLast: false) with { TimmParameters = 11_958_056 },
        ["skresnet34"] = Plain(Layers50, new SelectiveKernelBasicSpec(SkBasic), "skresnet34.ra_in1k", 224, 0.875, Interpolation.Bicubic, zeroInitLast: false) with { TimmParameters = 22_282_376 },
        ["skresnext50_32x4d"] = Plain(Layers50, new SelectiveKernelBottleneckSpec(32, 4, SkNeXt), "skresnext50_32x4d.ra_in1k", 224, 0.875, Interpolation.Bicubic, zeroInitLast: false) with { TimmParameters = 27_479_784 },

        // ResNeXt (Xie et al., 2017) and ResNet (He et al., 2016), with the ResNet-D variants.
        ["resnext50_32x4d"] = Plain(Layers50, new BottleneckSpec(32, 4), "resnext50_32x4d.a1h_in1k", 224, 0.95, Interpolation.Bicubic) with { TimmParameters = 25_028_904 },
        ["resnext50d_32x4d"] = ResNetD(Layers50, new BottleneckSpec(32, 4), "resnext50d_32x4d.bt_in1k", 224, 0.875, Interpolation.Bicubic) with { TimmParameters = 25_048_136 },
        ["resnet18"] = Plain(Layers18, new BasicBlockSpec(), "resnet18.a1_in1k", 224, 0.95, Interpolation.Bicubic) with { TimmParameters = 11_689_512 },
        ["resnet50"] = Plain(Layers50, new BottleneckSpec(), "resnet50.a1_in1k", 224, 0.95, Interpolation.Bicubic) with { TimmParameters = 25_557_032 },
        ["resnet50d"] = ResNetD(Layers50, new BottleneckSpec(), "resnet50d.ra2_in1k", 224, 0.875, Interpolation.Bicubic) with { TimmParameters = 25_576_264 },
    };

    // A failed weights load names the zoo model the file was made for.
    static ModelZoo() => StateDictDiagnosis.ArchitectureMatcher = ZooModelMatcher.Find;

    /// <summary>Every model name, in timm's spelling, sorted.</summary>
    public static IReadOnlyList<string> Names { get; } = Entries.Keys.OrderBy(n => n, StringComparer.Ordinal).ToArray();

    /// <summary>
    /// Creates a model with timm's initialisation, or with timm's weights from the Hugging Face Hub when
    /// <paramref name="pretrained"/> (see <see cref="CreatePretrainedAsync"/> for options, progress and cancellation).
    /// </summary>
    /// <param name="name">A name from <see cref="Names"/>, such as <c>resnest50d</c>, or <c>name.tag</c> from <see cref="Tags"/>.</param>
    /// <param name="numClasses">Classifier outputs; 0 for a headless backbone that returns pooled features.</param>
    /// <param name="configure">Optional changes to the architecture, such as <c>c =&gt; c with { OutputStride = 16, DropPathRate = 0.1 }</c>.</param>
    /// <param name="pretrained">Load the tag's weights (downloaded once into huggingface_hub's cache, configured by its environment variables); everything but a classifier of another size loads.</param>
    /// <returns>The model, in training mode, on the CPU.</returns>
    /// <exception cref="ArgumentException">The name or tag is unknown or the configuration is invalid.</exception>
    /// <exception cref="Hub.HubException">The weights cannot be fetched; the subclass and message say why.</exception>
    public static ResNet Create(string name, int numClasses = 1000, Func<ResNetConfig, ResNetConfig>? configure = null, bool pretrained = false)
    {
        if (pretrained)
            return CreatePretrained(name, numClasses, configure);
        var config = Config(name) with { NumClasses = numClasses };
        if (configure is not null)
            config = configure(config);
        return new ResNet(config);
    }

    /// <summary>The architecture registered under <paramref name="name"/>.</summary>
    /// <param name="name">A name from <see cref="Names"/> (or <c>name.tag</c>).</param>
    /// <returns>The configuration (1000 classes).</returns>
    /// <exception cref="ArgumentException">The name is unknown.</exception>
    public static ResNetConfig Config(string name) => Find(ArchitectureOf(name)).Config;

    /// <summary>The input size, crop, interpolation and normalisation timm's weights for <paramref name="name"/> expect.</summary>
    /// <param name="name">A name from <see cref="Names"/> (its default tag) or <c>name.tag</c> from <see cref="Tags"/>.</param>
    /// <returns>The pretrained configuration.</returns>
    /// <exception cref="ArgumentException">The name or tag is unknown.</exception>
    public static PretrainedConfig Pretrained(string name) => PretrainedFor(name);

    /// <summary>The parameter count of timm's model of this name with 1000 classes (what <see cref="Create"/> must reproduce).</summary>
    /// <param name="name">A name from <see cref="Names"/>, or <c>name.tag</c> from <see cref="Tags"/> (the architecture's count).</param>
    /// <returns>The exact count, such as 27,483,240 for <c>resnest50d</c>.</returns>
    /// <exception cref="ArgumentException">The name is unknown.</exception>
    public static long TimmParameterCount(string name) => Find(ArchitectureOf(name)).TimmParameters;

    /// <summary>Whether <paramref name="name"/> is registered (as a model, or as <c>name.tag</c> from <see cref="Tags"/>).</summary>
    /// <param name="name">A model name.</param>
    /// <returns>True when <see cref="Create"/> accepts it.</returns>
    public static bool Contains(string name) => name is not null && (Entries.ContainsKey(name) || IsKnownTag(name));

    private static Entry Find(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (Entries.TryGetValue(name, out var entry))
            return entry;
        throw new ArgumentException($"Unknown model '{name}'. Known models: {string.Join(", ", Names)}.", nameof(name));
    }

    private static Entry Plain(int[] layers, BlockSpec block, string hubId, int size, double crop, Interpolation interpolation, bool zeroInitLast = true) =>
        new(new ResNetConfig(block, layers) { ZeroInitLast = zeroInitLast }, PretrainedConfig.Timm(hubId, size, crop, interpolation));

    private static Entry ResNetD(int[] layers, BlockSpec block, string hubId, int size, double crop, Interpolation interpolation) =>
        new(new ResNetConfig(block, layers) { StemType = StemType.Deep, StemWidth = 32, AvgDown = true }, PretrainedConfig.Timm(hubId, size, crop, interpolation));

    private static Entry ResNeStD(int[] layers, int stemWidth, ResNeStSpec block, string hubId, int size, double crop, Interpolation interpolation) =>
        new(new ResNetConfig(block, layers) { StemType = StemType.Deep, StemWidth = stemWidth, AvgDown = true }, PretrainedConfig.Timm(hubId, size, crop, interpolation));
}
