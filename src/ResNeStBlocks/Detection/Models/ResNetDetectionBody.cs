using System;
using System.Collections.Generic;
using System.Linq;
using ResNeStBlocks.Backbones;
using ResNeStBlocks.Description;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ResNeStBlocks.Detection.Models;

/// <summary>
/// The library's <see cref="ResNet"/> (any zoo configuration, such as timm's <c>resnest50d</c>) as a detector's body:
/// no classifier, its BatchNorms frozen, its first stages frozen, the four stages' outputs C2..C5. Keys are timm's
/// (<c>conv1.*</c>, <c>bn1.*</c>, <c>layer1..4.*</c>; no <c>fc.*</c>), so timm's ImageNet weights load by name.
/// </summary>
/// <remarks>
/// <para>Frozen BatchNorm as torchvision uses it for pretrained backbones (<c>FrozenBatchNorm2d</c>): statistics and
/// affine terms fixed. The library's blocks call their <c>BatchNorm2d</c> layers directly, so they are frozen in place
/// rather than swapped (mmdetection's <c>norm_eval</c> with frozen affine terms): their weight and bias stop requiring
/// gradients, and they stay in eval mode whatever mode the detector is put in, so they normalise with the running
/// statistics and never update them. The eval forward is the same as <c>FrozenBatchNorm2d</c>'s up to float rounding;
/// the keys keep timm's <c>num_batches_tracked</c>, and the frozen affine terms still count as (non-trainable) parameters.</para>
/// <para>With <c>trainableLayers</c> as torchvision's <c>_resnet_fpn_extractor</c> takes it, the parameters outside the
/// last stages (the stem counts as the fifth) stop requiring gradients.</para>
/// </remarks>
public sealed class ResNetDetectionBody : nn.Module<Tensor, IReadOnlyList<Tensor>>
{
    private static readonly string[] StagesFromLast = ["layer4", "layer3", "layer2", "layer1", "conv1"];
    private readonly ResNet network;
    private readonly BatchNorm2d[] norms;

    /// <summary>Builds the ResNet of <paramref name="config"/> without its classifier and freezes it.</summary>
    /// <param name="config">The architecture, such as <c>ModelZoo.Config("resnest50d")</c>; its class count is ignored.</param>
    /// <param name="trainableLayers">Stages, counted from the last, whose convolutions train (0 to 5; torchvision's default 3).</param>
    /// <exception cref="ArgumentException">The configuration does not have four stages, or trainableLayers is outside 0..5.</exception>
    public ResNetDetectionBody(ResNetConfig config, int trainableLayers = 3) : base(nameof(ResNetDetectionBody))
    {
        Runtime.NativeRuntime.EnsureCpuChecked();
        ArgumentNullException.ThrowIfNull(config);
        if (config.Layers.Count != 4)
            throw new ArgumentException($"A detection body reads four stages (C2..C5); the configuration has {config.Layers.Count}. Use a four-stage ResNet such as ModelZoo.Config(\"resnest50d\").", nameof(config));
        if (trainableLayers is < 0 or > 5)
            throw new ArgumentOutOfRangeException(nameof(trainableLayers), trainableLayers, "trainableLayers must be from 0 to 5 (torchvision's trainable_backbone_layers).");
        network = new ResNet(config with { NumClasses = 0 });
        // The network's children under its own names, so that the keys are timm's; the network itself is not a child.
        foreach (var (name, child) in network.named_children())
            register_module(name, child);
        TrainableLayers = trainableLayers;
        norms = modules().OfType<BatchNorm2d>().ToArray();
        var trained = StagesFromLast.Take(trainableLayers).ToArray();
        foreach (var (name, parameter) in named_parameters())
            if (!trained.Any(prefix => name.StartsWith(prefix + ".", StringComparison.Ordinal)))
                parameter.requires_grad = false;
        foreach (var norm in norms)
        {
            norm.weight!.requires_grad = false;
            norm.bias!.requires_grad = false;
        }
        train(training);
    }

    /// <summary>The architecture (without classifier).</summary>
    public ResNetConfig Config => network.Config;

    /// <summary>Stages, counted from the last, whose convolutions train.</summary>
    public int TrainableLayers { get; }

    /// <summary>Channels of C2..C5.</summary>
    public IReadOnlyList<int> StageChannels => network.FeatureInfo.Select(f => f.Channels).ToArray();

    /// <summary>Switches the mode of everything but the BatchNorms, which stay frozen in eval mode.</summary>
    /// <param name="on">True for training mode.</param>
    public override void train(bool on = true)
    {
        base.train(on);
        foreach (var norm in norms ?? [])
            norm.eval();
    }

    /// <summary>The four stages' outputs, strides 4 to 32.</summary>
    /// <param name="input">Images [N, 3, H, W] with the body's dtype and device.</param>
    /// <returns>C2..C5.</returns>
    public override IReadOnlyList<Tensor> forward(Tensor input) => network.ForwardStages(input);

    /// <summary>Describes <see cref="forward"/>: the network's stem and stages, whose modules are this body's children.</summary>
    /// <param name="graph">The graph being built.</param>
    /// <param name="input">Images [N, 3, H, W].</param>
    /// <returns>C2..C5.</returns>
    public IReadOnlyList<GraphValue> DescribeStages(ForwardGraph graph, GraphValue input) => network.DescribeStages(graph, input);

    /// <summary>Releases the network with the module.</summary>
    /// <param name="disposing">Whether managed resources are released.</param>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
            network.Dispose();
        base.Dispose(disposing);
    }

    /// <summary>Registers nothing: the constructor registered the network's children under timm's keys.</summary>
    protected override void RegisterComponents()
    {
    }
}
