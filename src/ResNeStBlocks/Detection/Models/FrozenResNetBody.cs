using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ResNeStBlocks.Detection.Models;

/// <summary>
/// torchvision's ResNet without pooling and classifier, with <see cref="FrozenBatchNorm2d"/> (<c>resnet50(norm_layer=
/// FrozenBatchNorm2d)</c> as read by <c>IntermediateLayerGetter</c>): the body of the COCO detectors; or with
/// BatchNorm2d (<c>resnet50()</c>), the body of the v2 detectors. Keys are
/// torchvision's: <c>conv1</c>, <c>bn1</c>, <c>layer1..4.{i}.*</c>. Returns the four stages C2..C5.
/// </summary>
/// <remarks>
/// Convolutions are initialised as torchvision's ResNet does (Kaiming normal, fan out); the norms hold 1, 0, 0, 1.
/// With <c>trainableLayers</c> as torchvision's <c>_resnet_fpn_extractor</c> takes it, the parameters outside the last
/// stages (and outside <c>bn1</c> when all five train, which has none here) stop requiring gradients.
/// </remarks>
public sealed class FrozenResNetBody : nn.Module<Tensor, IReadOnlyList<Tensor>>
{
    private readonly Conv2d conv1;
    private readonly nn.Module<Tensor, Tensor> bn1;
    private readonly Sequential[] stages;

    /// <summary>Creates the body.</summary>
    /// <param name="layers">Bottlenecks per stage (ResNet-50: 3, 4, 6, 3).</param>
    /// <param name="trainableLayers">Stages, counted from the last, whose parameters train (0 to 5; the stem counts as the fifth).</param>
    /// <param name="batchNorm">BatchNorm2d instead of <see cref="FrozenBatchNorm2d"/> (the v2 detectors' body).</param>
    /// <exception cref="ArgumentException">Not four stages, a count is not positive, or trainableLayers is outside 0..5.</exception>
    public FrozenResNetBody(IReadOnlyList<int> layers, int trainableLayers, bool batchNorm = false) : base(nameof(FrozenResNetBody))
    {
        Runtime.NativeRuntime.EnsureCpuChecked();
        ArgumentNullException.ThrowIfNull(layers);
        if (layers.Count != 4)
            throw new ArgumentException($"layers must give the bottleneck count of 4 stages, such as [3, 4, 6, 3], got {layers.Count}.", nameof(layers));
        foreach (int count in layers)
            Guard.Positive(count, nameof(layers));
        if (trainableLayers is < 0 or > 5)
            throw new ArgumentOutOfRangeException(nameof(trainableLayers), trainableLayers, "trainableLayers must be from 0 to 5 (torchvision's trainable_backbone_layers).");
        conv1 = nn.Conv2d(3, 64, 7, stride: 2, padding: 3, bias: false);
        bn1 = FrozenBottleneck.Norm(batchNorm, 64);
        register_module("conv1", conv1);
        register_module("bn1", bn1);
        int inPlanes = 64;
        stages = new Sequential[4];
        for (int stage = 0; stage < 4; stage++)
        {
            int planes = 64 << stage;
            var blocks = new List<nn.Module<Tensor, Tensor>>();
            for (int block = 0; block < layers[stage]; block++)
            {
                blocks.Add(new FrozenBottleneck(inPlanes, planes, block == 0 && stage > 0 ? 2 : 1, batchNorm));
                inPlanes = planes * FrozenBottleneck.Expansion;
            }
            stages[stage] = nn.Sequential(blocks.ToArray());
            register_module($"layer{stage + 1}", stages[stage]);
        }
        Layers = layers.ToArray();
        TrainableLayers = trainableLayers;
        BatchNorm = batchNorm;
        using (no_grad())
        {
            foreach (var conv in modules().OfType<Conv2d>())
                nn.init.kaiming_normal_(conv.weight!, mode: nn.init.FanInOut.FanOut, nonlinearity: nn.init.NonlinearityType.ReLU);
        }
        var trained = new[] { "layer4", "layer3", "layer2", "layer1", "conv1" }.Take(trainableLayers).ToList();
        if (trainableLayers == 5)
            trained.Add("bn1");
        foreach (var (name, parameter) in named_parameters())
            if (!trained.Any(prefix => name.StartsWith(prefix, StringComparison.Ordinal)))
                parameter.requires_grad = false;
    }

    /// <summary>Bottlenecks per stage.</summary>
    public IReadOnlyList<int> Layers { get; }

    /// <summary>Stages, counted from the last, whose parameters train.</summary>
    public int TrainableLayers { get; }

    /// <summary>Whether the norms are BatchNorm2d (v2) rather than <see cref="FrozenBatchNorm2d"/>.</summary>
    public bool BatchNorm { get; }

    /// <summary>Channels of C2..C5 (256, 512, 1024, 2048).</summary>
    public static IReadOnlyList<int> StageChannels { get; } = new[] { 256, 512, 1024, 2048 };

    /// <summary>The four stages' outputs, strides 4 to 32.</summary>
    /// <param name="input">Images [N, 3, H, W] with the body's dtype and device.</param>
    /// <returns>C2..C5.</returns>
    public override IReadOnlyList<Tensor> forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = nn.functional.relu(bn1.call(conv1.call(input)));
        x = nn.functional.max_pool2d(x, 3, 2, 1);
        var outputs = new Tensor[4];
        for (int stage = 0; stage < 4; stage++)
        {
            x = stages[stage].call(x);
            outputs[stage] = x;
        }
        foreach (var output in outputs)
            output.MoveToOuterDisposeScope();
        return outputs;
    }

    /// <summary>Registers nothing: the constructor registered every child under torchvision's key.</summary>
    protected override void RegisterComponents()
    {
    }
}
