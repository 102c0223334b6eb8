using System;
using System.Collections.Generic;
using System.Linq;
using ResNeStBlocks.Blocks;
using ResNeStBlocks.Inference;
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
public sealed class ResNet : nn.Module<Tensor, Tensor>, IFoldableNorm
{
    private nn.Module<Tensor, Tensor> conv1;
    private BatchNorm2d? bn1;
    private readonly MaxPool2d maxpool;
    private readonly ModuleList<Sequential> stages;
    private readonly Linear? fc;
    private bool normsFolded;

    /// <summary>Builds the network with timm's initialisation (Kaiming-normal convolutions, zero-init last norms).</summary>
    /// <param name="config">The architecture.</param>
    /// <exception cref="ArgumentException">A setting is invalid; nothing has been allocated.</exception>
    public ResNet(ResNetConfig config) : base(nameof(ResNet))
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;

        (conv1, int inPlanes) = Stem.CreateConvolutions(config.StemType, config.InChannels, config.StemWidth);
        bn1 = nn.BatchNorm2d(inPlanes);
        maxpool = nn.MaxPool2d(3, 2, 1);
        var features = new List<FeatureInfo> { new("act1", inPlanes, 2) };

        var stageList = new List<Sequential>();
        int netStride = 4, dilation = 1, previousDilation = 1, blockIndex = 0;
        for (int s = 0; s < config.Layers.Count; s++)
        {
            int planes = config.Channels[s];
            int stride = s == 0 ? 1 : 2;
            if (netStride >= config.OutputStride)
            {
                dilation *= stride;
                stride = 1;
            }
            else
            {
                netStride *= stride;
            }
            int outChannels = planes * config.Block.Expansion;
            var blocks = new List<nn.Module<Tensor, Tensor>>();
            for (int b = 0; b < config.Layers[s]; b++)
            {
                nn.Module<Tensor, Tensor>? downsample = null;
                if (b == 0 && (stride != 1 || inPlanes != outChannels))
                    downsample = config.AvgDown
                        ? Downsample.Average(inPlanes, outChannels, stride, dilation)
                        : Downsample.Convolution(inPlanes, outChannels, config.DownKernelSize, stride, dilation, previousDilation);
                double dropPath = config.TotalBlocks > 1 ? config.DropPathRate * blockIndex / (config.TotalBlocks - 1) : 0;
                var extras = new BlockExtras(downsample, dilation, previousDilation, dropPath, DropBlockFor(config.DropBlockRate, s));
                blocks.Add(config.Block.Create(inPlanes, planes, b == 0 ? stride : 1, extras));
                previousDilation = dilation;
                inPlanes = outChannels;
                blockIndex++;
            }
            stageList.Add(nn.Sequential(blocks));
            features.Add(new FeatureInfo($"layer{s + 1}", inPlanes, netStride));
        }
        stages = nn.ModuleList(stageList.ToArray());
        NumFeatures = inPlanes;
        FeatureInfo = features;
        fc = config.NumClasses > 0 ? nn.Linear(NumFeatures, config.NumClasses) : null;

        RegisterChildren();
        InitializeWeights(config.ZeroInitLast);
    }

    /// <summary>The architecture this network was built from.</summary>
    public ResNetConfig Config { get; }

    /// <summary>Channels of the last feature map (the classifier's input).</summary>
    public int NumFeatures { get; }

    /// <summary>Number of classes, or 0 when the network has no classifier.</summary>
    public int NumClasses => Config.NumClasses;

    /// <summary>The stem output (<c>act1</c>) and each stage's output: channels and reduction.</summary>
    public IReadOnlyList<FeatureInfo> FeatureInfo { get; }

    bool IFoldableNorm.NormsFolded => normsFolded;

    int IFoldableNorm.FoldBatchNorm()
    {
        normsFolded = true;
        int folded = BatchNormFolding.FoldStem(this, ref conv1, ref bn1);
        RegisterChildren();
        return folded;
    }

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">Training is requested after the BatchNorms were folded.</exception>
    public override void train(bool on = true)
    {
        BatchNormFolding.EnsureTrainable(normsFolded, on, this);
        base.train(on);
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
    /// <returns>One feature map per stage, described by <see cref="FeatureInfo"/> (entries 1 onward).</returns>
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
    /// Loads a timm <c>model.safetensors</c> (or one saved by <see cref="SaveWeights"/>) by key.
    /// </summary>
    /// <param name="path">The weights file.</param>
    /// <param name="strict">Fail on any missing or unexpected key.</param>
    /// <param name="skipClassifier">Leave <c>fc.*</c> as initialised (fine-tuning with another class count).</param>
    /// <returns>The missing, unexpected and skipped keys.</returns>
    /// <exception cref="StateDictMismatchException">The file does not fit; the network is unchanged.</exception>
    /// <exception cref="SafetensorsFormatException">The file is malformed; the network is unchanged.</exception>
    /// <exception cref="InvalidOperationException">The network's BatchNorms have been folded for inference; the network is unchanged.</exception>
    public LoadResult LoadWeights(string path, bool strict = true, bool skipClassifier = false) =>
        StateDictLoader.LoadFile(this, path, strict, skipClassifier ? IsClassifierKey : null);

    /// <summary>Saves every parameter and buffer to safetensors with timm's keys.</summary>
    /// <param name="path">The file to write.</param>
    public void SaveWeights(string path) => SafeTensors.Save(path, state_dict());

    private static bool IsClassifierKey(string key) => key.StartsWith("fc.", StringComparison.Ordinal);

    private Tensor ForwardStem(Tensor input)
    {
        Guard.Image(input, Config.InChannels, nameof(ResNet));
        return maxpool.call(bn1.CallOrPass(conv1.call(input)).relu_());
    }

    /// <summary>Registers the children in state-dict order (timm's conv1, bn1, layer1..N, fc), replacing any registered before.</summary>
    private void RegisterChildren()
    {
        foreach (var (name, _) in named_children().ToList())
            register_module(name, null!);
        register_module(nameof(conv1), conv1);
        if (bn1 is not null)
            register_module(nameof(bn1), bn1);
        register_module(nameof(maxpool), maxpool);
        for (int s = 0; s < stages.Count; s++)
            register_module($"layer{s + 1}", stages[s]);
        if (fc is not null)
            register_module(nameof(fc), fc);
    }

    private static Func<DropBlock>? DropBlockFor(double rate, int stage) => (rate, stage) switch
    {
        ( > 0, 2) => () => new DropBlock(rate, 5, 0.25),
        ( > 0, 3) => () => new DropBlock(rate, 3, 1.0),
        _ => null,
    };

    private void InitializeWeights(bool zeroInitLast)
    {
        using var _ = no_grad();
        foreach (var (_, module) in named_modules())
            if (module is Conv2d conv)
                nn.init.kaiming_normal_(conv.weight, mode: nn.init.FanInOut.FanOut, nonlinearity: nn.init.NonlinearityType.ReLU);
        if (zeroInitLast)
            foreach (var block in modules().OfType<IResidualBlock>())
                block.ZeroInitLastNorm();
    }
}
