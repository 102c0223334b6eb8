using System;
using System.Collections.Generic;
using System.Linq;
using ResNeStBlocks.Backbones;
using ResNeStBlocks.Description;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ResNeStBlocks.Dense;

/// <summary>
/// A detector's backbone (torchvision <c>BackboneWithFPN</c>): a <see cref="ResNet"/> whose stages feed a
/// <see cref="FeaturePyramidNetwork"/>, one image in, the pyramid's levels out. Faster R-CNN and Mask R-CNN read every
/// stage with <see cref="LastLevelMaxPool"/>; RetinaNet reads stages 2-4 with <see cref="LastLevelP6P7"/>.
/// </summary>
/// <remarks>
/// <para>Keys are torchvision's: <c>body.*</c> (the ResNet's own keys, as torchvision's <c>IntermediateLayerGetter</c>
/// keeps them) and <c>fpn.*</c>. Levels are named as torchvision names them: "0", "1", ... for the returned stages in
/// order, then the extra levels ("pool", or "p6" and "p7").</para>
/// <para>It is described (<see cref="IDescribedOutputs"/>), so it exports to ONNX with one input and one output per
/// level, and <c>FoldBatchNorm</c> folds the ResNet's BatchNorms (the pyramid keeps its own). The module owns, and
/// disposes, the ResNet and the pyramid it is given.</para>
/// </remarks>
/// <example><code>using var backbone = BackboneWithFpn.Create(ModelZoo.Config("resnest50d"), new LastLevelMaxPool());
/// using var levels = backbone.call(images);            // "0".."3" and "pool", 256 channels, strides 4 to 64</code></example>
public sealed class BackboneWithFpn : nn.Module<Tensor, FeatureMaps>, IDescribedOutputs
{
    private readonly ResNet body;
    private readonly FeaturePyramidNetwork fpn;
    // Positions in ForwardStages' list of the stages the pyramid reads, and the names the pyramid gets them under.
    private readonly int[] stageIndices;
    private readonly string[] names;
    // The ResNet's first convolution: its weight sets the dtype and device inputs must have.
    private readonly Conv2d stemConvolution;

    /// <summary>Combines a ResNet with a pyramid over some of its stages.</summary>
    /// <param name="body">A ResNet without classifier (<c>NumClasses = 0</c>).</param>
    /// <param name="fpn">The pyramid; its <see cref="FeaturePyramidNetwork.InChannels"/> are the returned stages' channels.</param>
    /// <param name="returnedLayers">The stages the pyramid reads, numbered from 1 in increasing order (torchvision's
    /// <c>returned_layers</c>); null for every stage.</param>
    /// <exception cref="ArgumentException">The ResNet has a classifier, a stage number is out of range or out of order, or the
    /// pyramid's input channels differ from the stages'.</exception>
    public BackboneWithFpn(ResNet body, FeaturePyramidNetwork fpn, IReadOnlyList<int>? returnedLayers = null) : base(nameof(BackboneWithFpn))
    {
        Runtime.NativeRuntime.EnsureCpuChecked();
        ArgumentNullException.ThrowIfNull(body);
        ArgumentNullException.ThrowIfNull(fpn);
        var stages = body.FeatureInfo;
        if (body.NumClasses != 0)
            throw new ArgumentException(
                $"The ResNet has a classifier (fc, {body.NumClasses} classes), which a feature pyramid does not use; build it without one: " +
                "NumClasses = 0 in its ResNetConfig, or ModelZoo.Create(name, numClasses: 0).", nameof(body));
        int[] layers = (returnedLayers ?? Enumerable.Range(1, stages.Count).ToArray()).ToArray();
        CheckLayers(layers, stages.Count);
        var channels = layers.Select(layer => stages[layer - 1].Channels).ToArray();
        if (!channels.SequenceEqual(fpn.InChannels))
            throw new ArgumentException(
                $"The pyramid reads maps of {string.Join(", ", fpn.InChannels)} channels, but stages {string.Join(", ", layers)} of the ResNet give " +
                $"{string.Join(", ", channels)}; create it with new FeaturePyramidNetwork(new[] {{ {string.Join(", ", channels)} }}, ...).", nameof(fpn));

        this.body = body;
        this.fpn = fpn;
        ReturnedLayers = layers;
        stageIndices = layers.Select(layer => layer - 1).ToArray();
        names = FeatureMaps.NumberedNames(layers.Length);
        stemConvolution = body.modules().OfType<Conv2d>().First();
        register_module("body", body);
        register_module("fpn", fpn);
    }

    /// <summary>
    /// Builds the ResNet from <paramref name="backbone"/> (without its classifier) and a pyramid over the returned stages,
    /// both initialised (the ResNet as its configuration says, the pyramid as torchvision does).
    /// </summary>
    /// <param name="backbone">The ResNet's architecture, such as <c>ModelZoo.Config("resnest50d")</c>.</param>
    /// <param name="extraBlocks">Levels above the top one: <see cref="LastLevelMaxPool"/> (Faster R-CNN), <see cref="LastLevelP6P7"/>
    /// (RetinaNet), or null for none.</param>
    /// <param name="outChannels">Channels of every level (torchvision's detectors: 256).</param>
    /// <param name="returnedLayers">The stages the pyramid reads, numbered from 1; null for every stage.</param>
    /// <param name="batchNorm">BatchNorm after each pyramid convolution (torchvision's v2 detectors).</param>
    /// <returns>The backbone, in training mode, on the CPU.</returns>
    /// <exception cref="ArgumentException">An argument is invalid; nothing is left half-built.</exception>
    public static BackboneWithFpn Create(ResNetConfig backbone, ExtraFpnBlock? extraBlocks, int outChannels = 256,
        IReadOnlyList<int>? returnedLayers = null, bool batchNorm = false)
    {
        ArgumentNullException.ThrowIfNull(backbone);
        var config = backbone with { NumClasses = 0 };
        config.Validate();
        var body = new ResNet(config);
        FeaturePyramidNetwork? fpn = null;
        try
        {
            int[] layers = (returnedLayers ?? Enumerable.Range(1, body.FeatureInfo.Count).ToArray()).ToArray();
            CheckLayers(layers, body.FeatureInfo.Count);
            fpn = new FeaturePyramidNetwork(layers.Select(layer => body.FeatureInfo[layer - 1].Channels).ToArray(), outChannels, extraBlocks, batchNorm);
            return new BackboneWithFpn(body, fpn, layers);
        }
        catch
        {
            // Nothing half-built outlives the failure.
            fpn?.Dispose();
            body.Dispose();
            throw;
        }
    }

    /// <summary>The ResNet (keys <c>body.*</c>).</summary>
    public ResNet Body => body;

    /// <summary>The pyramid (keys <c>fpn.*</c>).</summary>
    public FeaturePyramidNetwork Fpn => fpn;

    /// <summary>The stages the pyramid reads, numbered from 1 (torchvision's <c>returned_layers</c>).</summary>
    public IReadOnlyList<int> ReturnedLayers { get; }

    /// <summary>Channels of every level.</summary>
    public int OutChannels => fpn.OutChannels;

    /// <summary>Computes the pyramid of an image batch.</summary>
    /// <param name="input">Images [N, C, H, W] with the ResNet's channels, dtype and device.</param>
    /// <returns>The levels, "0", "1", ... highest resolution first, then the extra levels; dispose them (or the result) when done.</returns>
    /// <exception cref="ArgumentException">The input's shape, dtype or device does not fit.</exception>
    public override FeatureMaps forward(Tensor input)
    {
        Guard.Image(input, body.Config.InChannels, nameof(BackboneWithFpn), stemConvolution.weight);
        using var scope = NewDisposeScope();
        var stages = body.ForwardStages(input);
        var pyramid = fpn.call(new FeatureMaps(names, stageIndices.Select(i => stages[i]).ToArray()));
        foreach (var level in pyramid)
            level.MoveToOuterDisposeScope();
        return pyramid;
    }

    /// <summary>Describes the eval-mode forward: one output per level, named as <see cref="forward"/> names them.</summary>
    /// <param name="graph">The graph being built.</param>
    /// <param name="input">Images [N, C, H, W].</param>
    /// <returns>The levels.</returns>
    public IReadOnlyList<NamedValue> DescribeOutputs(ForwardGraph graph, GraphValue input)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var stages = graph.Within(body, () => body.DescribeStages(graph, input));
        var returned = stageIndices.Select((stage, i) => new NamedValue(names[i], stages[stage])).ToArray();
        return graph.Within(fpn, () => fpn.Describe(graph, returned));
    }

    private static void CheckLayers(int[] layers, int stageCount)
    {
        if (layers.Length == 0)
            throw new ArgumentException("returnedLayers must name at least one stage.", "returnedLayers");
        for (int i = 0; i < layers.Length; i++)
        {
            if (layers[i] < 1 || layers[i] > stageCount || (i > 0 && layers[i] <= layers[i - 1]))
                throw new ArgumentException(
                    $"returnedLayers must be stage numbers from 1 to {stageCount} in increasing order, such as [2, 3, 4]; got [{string.Join(", ", layers)}].",
                    "returnedLayers");
        }
    }

    /// <summary>Registers nothing: the constructor registered every child under its reference key (TorchSharp's default would add each field again by its name).</summary>
    protected override void RegisterComponents()
    {
    }
}
