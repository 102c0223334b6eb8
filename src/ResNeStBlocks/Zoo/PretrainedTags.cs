using System;
using System.Collections.Generic;
using System.Linq;
using ResNeStBlocks.Preprocessing;

namespace ResNeStBlocks.Zoo;

/// <summary>
/// timm's other pretrained tags for zoo models (<c>resnet50.a1h_in1k</c>, <c>resnet50.tv2_in1k</c>, ...) beside
/// each model's default tag, which <see cref="ModelZoo"/> registers with the model. The evaluation settings follow
/// timm's <c>default_cfgs</c>: each line names the timm config helper it copies.
/// </summary>
internal static class PretrainedTags
{
    private static readonly float[] Half = { 0.5f, 0.5f, 0.5f };

    private static readonly Dictionary<string, PretrainedConfig[]> Additional = new(StringComparer.Ordinal)
    {
        ["resnet18"] = new[] { Rsb("resnet18.a2_in1k"), Rsb3("resnet18.a3_in1k"), Plain("resnet18.tv_in1k"),
            Plain("resnet18.fb_ssl_yfcc100m_ft_in1k"), Plain("resnet18.fb_swsl_ig1b_ft_in1k") },
        ["resnet50"] = new[] { Rsb("resnet50.a1h_in1k", 176, 0.9), Rsb("resnet50.a2_in1k"), Rsb3("resnet50.a3_in1k"),
            Rsb("resnet50.b1k_in1k"), Rsb("resnet50.b2k_in1k"), Rsb("resnet50.c1_in1k"), Rsb("resnet50.c2_in1k"), Rsb("resnet50.d_in1k"),
            Timm("resnet50.ram_in1k"), Timm("resnet50.am_in1k"), Timm("resnet50.ra_in1k"), Timm("resnet50.bt_in1k"),
            Plain("resnet50.tv_in1k"), Plain("resnet50.tv2_in1k", 176), Plain("resnet50.fb_ssl_yfcc100m_ft_in1k"), Plain("resnet50.fb_swsl_ig1b_ft_in1k") },
        ["resnet50d"] = new[] { Rsb("resnet50d.ra4_e3600_r224_in1k") with { Mean = Half, Std = Half },
            Rsb("resnet50d.a1_in1k"), Rsb("resnet50d.a2_in1k"), Rsb3("resnet50d.a3_in1k") },
        ["resnext50_32x4d"] = new[] { Rsb("resnext50_32x4d.a1_in1k"), Rsb("resnext50_32x4d.a2_in1k"), Rsb3("resnext50_32x4d.a3_in1k"),
            Timm("resnext50_32x4d.ra_in1k"), Plain("resnext50_32x4d.tv_in1k"), Plain("resnext50_32x4d.tv2_in1k", 176),
            Plain("resnext50_32x4d.fb_ssl_yfcc100m_ft_in1k"), Plain("resnext50_32x4d.fb_swsl_ig1b_ft_in1k") },
        ["seresnet50"] = new[] { Rsb("seresnet50.a2_in1k"), Rsb3("seresnet50.a3_in1k"), Timm("seresnet50.ra2_in1k") },
    };

    /// <summary>Every tag of <paramref name="architecture"/>, its default first.</summary>
    public static IReadOnlyList<PretrainedConfig> All(string architecture, PretrainedConfig defaultTag) =>
        Additional.TryGetValue(architecture, out var more) ? more.Prepend(defaultTag).ToArray() : new[] { defaultTag };

    /// <summary><c>resnet50.a1_in1k</c> from <c>timm/resnet50.a1_in1k</c>.</summary>
    public static string FullName(PretrainedConfig config) => config.Source!.Location[(config.Source.Location.IndexOf('/', StringComparison.Ordinal) + 1)..];

    // timm's _cfg: bilinear, crop 0.875 (torchvision and Facebook weights).
    private static PretrainedConfig Plain(string name, int size = 224) => PretrainedConfig.Timm(name, size, 0.875, Interpolation.Bilinear);

    // timm's _tcfg / _ttcfg: bicubic, crop 0.875.
    private static PretrainedConfig Timm(string name) => PretrainedConfig.Timm(name, 224, 0.875, Interpolation.Bicubic);

    // timm's _rcfg ("ResNet strikes back" A1/A2, B, C, D recipes): bicubic, crop 0.95.
    private static PretrainedConfig Rsb(string name, int size = 224, double crop = 0.95) => PretrainedConfig.Timm(name, size, crop, Interpolation.Bicubic);

    // timm's _r3cfg (the A3 recipe, trained at 160 px): bicubic, crop 0.95.
    private static PretrainedConfig Rsb3(string name) => PretrainedConfig.Timm(name, 160, 0.95, Interpolation.Bicubic);
}
