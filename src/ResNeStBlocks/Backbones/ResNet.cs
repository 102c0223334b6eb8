using System;
using System.Collections.Generic;
using System.Linq;
using ResNeStBlocks.Blocks;
using ResNeStBlocks.Description;
using ResNeStBlocks.Layers;
using ResNeStBlocks.Weights;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ResNeStBlocks.Backbones;

/// <summary>
/// The configurable ResNet backbone (timm <c>ResNet</c>): a stem, four stages of residual blocks and a
/// pooled linear classifier. One class builds ResNeSt, Res2Net, ResNeXt, SE-, SK- and plain ResNets from
/// a <see cref="ResNetConfig"/>; its state-dict keys equal timm's, so timm weights load by name.
/// </summary>
/// <remarks>
/// Keys: <c>conv1.*</c>, <c>bn1.*</c>, <c>layer{1..4}.{i}.*</c>, <c>fc.weight</c>, <c>fc.bias</c>.
/// With <see cref="ResNetConfig.OutputStride"/> 16 or 8, later stages dilate instead of striding, as timm does.
/// </remarks>
public sealed class ResNet : FoldableModule
{
    private nn.Module<Tensor, Tensor> conv1;
    private BatchNorm2d? bn1;
    private readonly MaxPool2d maxpool;
    private readonly ModuleList<Sequential> stages;
    private readonly Linear? fc;
    // Not a child of its own: the stem's first convolution, whose weight sets the dtype and device inputs must have.
    private readonly Conv2d stemConvolution;

    /// <summary>Builds the network with timm's initialisation (Kaiming-normal convolutions, zero-init last norms).</summary>
    /// <param name="config">The architecture.</param>
    /// <exception cref="ArgumentException">A setting is invalid, for the network or for the block at any position. Every position
    /// is checked before anything is allocated; a layer that rejects its settings while being built has what was built
    /// before it disposed, so no tensor outlives the failure.</exception>
    public ResNet(ResNetConfig config) : base(nameof(ResNet))
    {
        ArgumentNullException.ThrowIfNull(config);
        var (stemChannels, sites) = config.Plan();
        Config = config;
        NumFeatures = sites[^1].OutChannels;
        StemInfo = new FeatureInfo("act1", stemChannels, 2);
        FeatureInfo = sites.GroupBy(site => site.Stage)
            .Select(stage => new FeatureInfo($"layer{stage.Key + 1}", stage.Last().OutChannels, stage.Last().NetStride))
            .ToList();

        // Every check passed above; should a block still throw, dispose what was built so no tensor outlives the failure.
        var built = new List<nn.Module>();
        try
        {
            (conv1, _) = StemConvolutions.Create(config.StemType, config.InChannels, config.StemWidth);
            built.Add(conv1);
            bn1 = nn.BatchNorm2d(stemChannels);
            built.Add(bn1);
            maxpool = nn.MaxPool2d(3, 2, 1);
            var stageBlocks = sites.GroupBy(site => site.Stage).Select(_ => new List<nn.Module<Tensor, Tensor>>()).ToList();
            foreach (var site in sites)
            {
                var shortcut = Shortcut(config, site);
                if (shortcut is not null)
                    built.Add(shortcut);
                var block = config.Block.Create(site.InPlanes, site.Planes, site.Placement with { Downsample = shortcut });
                if (shortcut is not null)
                    built.Remove(shortcut);     // the block owns (and disposes) it now
                built.Add(block);
                stageBlocks[site.Stage].Add(block);
            }
            stages = nn.ModuleList(stageBlocks.Select(blocks => nn.Sequential(blocks)).ToArray());
            fc = config.NumClasses > 0 ? nn.Linear(NumFeatures, config.NumClasses) : null;
        }
        catch
        {
            foreach (var module in built)
                module.Dispose();
            throw;
        }

        RegisterChildren();
        stemConvolution = conv1.modules().Prepend(conv1).OfType<Conv2d>().First();
        InitializeWeights(config.ZeroInitLast);
    }

    /// <summary>The architecture this network was built from.</summary>
    public ResNetConfig Config { get; }

    /// <summary>Channels of the last feature map (the classifier's input).</summary>
    public int NumFeatures { get; }

    /// <summary>Number of classes, or 0 when the network has no classifier.</summary>
    public int NumClasses => Config.NumClasses;

    /// <summary>
    /// Each stage's output, as <see cref="ForwardStages"/> returns them: index 0 is <c>layer1</c> (C2, reduction 4 with
    /// the usual stem), the last is the final feature map (C5). timm's <c>feature_info</c> is <see cref="StemInfo"/>
    /// followed by these.
    /// </summary>
    public IReadOnlyList<FeatureInfo> FeatureInfo { get; }

    /// <summary>The stem's output (timm's <c>act1</c>, reduction 2), which <see cref="ForwardStages"/> does not return.</summary>
    public FeatureInfo StemInfo { get; }

    /// <summary>The eval-mode forward: stem, stages, global average pool, classifier (or the pooled features).</summary>
    /// <param name="graph">The graph being built.</param>
    /// <param name="input">Images [N, C, H, W].</param>
    /// <returns>The logits, or the pooled features without a classifier.</returns>
    public GraphValue Describe(ForwardGraph graph, GraphValue input) => DescribeForward(graph, input);

    private protected override GraphValue DescribeForward(ForwardGraph graph, GraphValue input)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var x = DescribeStem(graph, input);
        foreach (var stage in stages)
            x = graph.Call(stage, x);
        var pooled = graph.Flatten(graph.GlobalAveragePool(x));
        return fc is null ? pooled : graph.Linear(fc, pooled);
    }

    /// <summary>Describes <see cref="ForwardStages"/>: the output of every stage; the classifier is not part of it.</summary>
    /// <param name="graph">The graph being built.</param>
    /// <param name="input">Images [N, C, H, W].</param>
    /// <returns>One value per stage, as <see cref="ForwardStages"/> returns them.</returns>
    public IReadOnlyList<GraphValue> DescribeStages(ForwardGraph graph, GraphValue input)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var outputs = new List<GraphValue>(stages.Count);
        var x = DescribeStem(graph, input);
        foreach (var stage in stages)
            outputs.Add(x = graph.Call(stage, x));
        if (fc is not null)
            graph.Omit(fc);
        return outputs;
    }

    /// <summary>conv1 (the deep stem's Sequential, whose last convolution pairs with bn1), bn1, ReLU, max pool.</summary>
    private GraphValue DescribeStem(ForwardGraph graph, GraphValue input)
    {
        var x = conv1 is Sequential deep
            ? graph.Relu(SequenceDescription.Describe(graph, deep, input, bn1))
            : graph.Convolution((Conv2d)conv1, input, bn1, Activation.Relu);
        return graph.Call(maxpool, x);
    }

    /// <summary>Classifies images: <c>ForwardHead(ForwardFeatures(input))</c>.</summary>
    /// <param name="input">Images [N, C, H, W].</param>
    /// <returns>Logits [N, classes], or pooled features [N, features] when the network has no classifier.</returns>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        return ForwardHead(ForwardFeatures(input)).MoveToOuterDisposeScope();
    }

    /// <summary>The last feature map before pooling (timm <c>forward_features</c>).</summary>
    /// <param name="input">Images [N, C, H, W].</param>
    /// <returns>Features [N, <see cref="NumFeatures"/>, H / stride, W / stride].</returns>
    public Tensor ForwardFeatures(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = ForwardStem(input);
        foreach (var stage in stages)
            x = stage.call(x);
        return x.MoveToOuterDisposeScope();
    }

    /// <summary>Pools, applies dropout and classifies a feature map (timm <c>forward_head</c>).</summary>
    /// <param name="features">The output of <see cref="ForwardFeatures"/>.</param>
    /// <param name="preLogits">Return the pooled features instead of logits.</param>
    /// <returns>Logits [N, classes], or pooled features [N, features].</returns>
    public Tensor ForwardHead(Tensor features, bool preLogits = false)
    {
        ArgumentNullException.ThrowIfNull(features);
        if (features.dim() != 4 || features.shape[1] != NumFeatures)
            throw new ArgumentException(
                $"ResNet.ForwardHead expects features [batch, {NumFeatures}, height, width], got [{string.Join(", ", features.shape)}].",
                nameof(features));
        using var scope = NewDisposeScope();
        var pooled = features.mean(new long[] { 2, 3 });
        if (Config.DropRate > 0)
            pooled = nn.functional.dropout(pooled, Config.DropRate, training);
        var output = preLogits || fc is null ? pooled : fc.call(pooled);
        return output.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The output of every stage (C2 to C5 for the classic four stages), for detection and segmentation necks.
    /// </summary>
    /// <param name="input">Images [N, C, H, W].</param>
    /// <returns>One feature map per stage; entry i is described by <see cref="FeatureInfo"/>[i].</returns>
    public IReadOnlyList<Tensor> ForwardStages(Tensor input)
    {
        using var scope = NewDisposeScope();
        var outputs = new List<Tensor>(stages.Count);
        var x = ForwardStem(input);
        foreach (var stage in stages)
        {
            x = stage.call(x);
            outputs.Add(x);
        }
        foreach (var output in outputs)
            output.MoveToOuterDisposeScope();
        return outputs;
    }

    /// <summary>
    /// Loads a timm <c>model.safetensors</c> (or one saved by <c>model.SaveWeights(path)</c>) by key.
    /// </summary>
    /// <param name="path">The weights file.</param>
    /// <param name="strict">Fail on any missing or unexpected key.</param>
    /// <param name="skipClassifier">Leave a classifier (<c>fc.*</c>) that does not fit as initialised (fine-tuning with another
    /// class count), as timm loads pretrained weights; a classifier that fits loads.</param>
    /// <returns>The missing, unexpected and skipped keys.</returns>
    /// <exception cref="StateDictMismatchException">The file does not fit; the network is unchanged.</exception>
    /// <exception cref="SafeTensorsFormatException">The file is malformed; the network is unchanged.</exception>
    /// <exception cref="InvalidOperationException">The network's BatchNorms have been folded for inference; the network is unchanged.</exception>
    public LoadResult LoadWeights(string path, bool strict = true, bool skipClassifier = false) =>
        skipClassifier ? ClassifierKeys.LoadSkippingUnfit(this, path, strict) : ModuleWeights.LoadWeights(this, path, strict);

    /// <summary>Saves every parameter and buffer to safetensors with timm's keys (as <c>module.SaveWeights(path)</c> does for any module).</summary>
    /// <param name="path">The file to write.</param>
    public void SaveWeights(string path) => ModuleWeights.SaveWeights(this, path);

    private Tensor ForwardStem(Tensor input)
    {
        Guard.Image(input, Config.InChannels, nameof(ResNet), stemConvolution.weight);
        return maxpool.call(bn1.CallOrPass(conv1.CallOrPass(input)).relu_());
    }

    /// <summary>
    /// Does nothing: <see cref="RegisterChildren"/> registers the children under timm's names. TorchSharp calls this when
    /// a parent registers the network (a segmentation model's <c>backbone</c>); its default would add the fields that
    /// hold other names or second references (<c>stages</c>, <c>stemConvolution</c>) as extra keys.
    /// </summary>
    protected override void RegisterComponents()
    {
    }

    /// <summary>Registers the children in state-dict order (timm's conv1, bn1, layer1..N, fc).</summary>
    private void RegisterChildren()
    {
        register_module(nameof(conv1), conv1);
        if (bn1 is not null)
            register_module(nameof(bn1), bn1);
        register_module(nameof(maxpool), maxpool);
        for (int s = 0; s < stages.Count; s++)
            register_module($"layer{s + 1}", stages[s]);
        if (fc is not null)
            register_module(nameof(fc), fc);
    }

    /// <summary>The shortcut projection of a block that changes stride or channels (timm's downsample_avg or downsample_conv).</summary>
    private static nn.Module<Tensor, Tensor>? Shortcut(ResNetConfig config, BlockSite site)
    {
        if (!site.NeedsShortcut)
            return null;
        var placement = site.Placement;
        return config.AvgDown
            ? Downsample.Average(site.InPlanes, site.OutChannels, placement.Stride, placement.Dilation)
            : Downsample.Convolution(site.InPlanes, site.OutChannels, config.DownKernelSize, placement.Stride, placement.Dilation,
                placement.FirstDilation);
    }

    private void InitializeWeights(bool zeroInitLast)
    {
        using var _ = no_grad();
        foreach (var (_, module) in named_modules())
            if (module is Conv2d conv)
                nn.init.kaiming_normal_(conv.weight, mode: nn.init.FanInOut.FanOut, nonlinearity: nn.init.NonlinearityType.ReLU);
        if (zeroInitLast)
            foreach (var block in modules().OfType<ResidualBlock>())
                block.ZeroInitLastNorm();
    }
}
