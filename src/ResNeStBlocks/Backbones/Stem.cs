using System;
using System.Linq;
using ResNeStBlocks.Inference;
using ResNeStBlocks.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ResNeStBlocks.Backbones;

/// <summary>
/// A ResNet stem: the stem convolution(s) (<c>conv1</c>), BatchNorm (<c>bn1</c>), ReLU and a 3x3
/// stride-2 max pool, reducing the resolution by 4. Keys match timm's ResNet: <c>conv1.weight</c> for
/// the 7x7 stem, <c>conv1.{0,1,3,4,6}.*</c> for the deep stems, then <c>bn1.*</c>.
/// </summary>
public sealed class Stem : nn.Module<Tensor, Tensor>, IFoldableNorm
{
    private nn.Module<Tensor, Tensor> conv1;
    private BatchNorm2d? bn1;
    private readonly MaxPool2d maxpool;
    private bool normsFolded;

    /// <summary>Creates a stem.</summary>
    /// <param name="type">Which stem.</param>
    /// <param name="inChannels">Image channels.</param>
    /// <param name="stemWidth">Width of the deep stem's first convolutions (ignored by <see cref="StemType.Default"/>).</param>
    public Stem(StemType type = StemType.Default, int inChannels = 3, int stemWidth = 64) : base(nameof(Stem))
    {
        (conv1, OutChannels) = CreateConvolutions(type, inChannels, stemWidth);
        InChannels = inChannels;
        bn1 = nn.BatchNorm2d(OutChannels);
        maxpool = nn.MaxPool2d(3, 2, 1);
        RegisterComponents();
    }

    /// <summary>Image channels.</summary>
    public int InChannels { get; }

    /// <summary>Channels after the stem: 64, or twice the stem width for the deep stems.</summary>
    public int OutChannels { get; }

    bool IFoldableNorm.NormsFolded => normsFolded;

    int IFoldableNorm.FoldBatchNorm()
    {
        normsFolded = true;
        int folded = BatchNormFolding.FoldStem(this, ref conv1, ref bn1);
        return folded;
    }

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">Training is requested after the BatchNorms were folded.</exception>
    public override void train(bool on = true)
    {
        BatchNormFolding.EnsureTrainable(normsFolded, on, this);
        base.train(on);
    }

    /// <summary>
    /// Creates the stem's convolutions alone (what timm calls <c>conv1</c>).
    /// </summary>
    /// <param name="type">Which stem.</param>
    /// <param name="inChannels">Image channels.</param>
    /// <param name="stemWidth">Deep stem width.</param>
    /// <returns>The module and its output channels.</returns>
    public static (nn.Module<Tensor, Tensor> Module, int OutChannels) CreateConvolutions(StemType type, int inChannels, int stemWidth)
    {
        Guard.Positive(inChannels, nameof(inChannels));
        if (type == StemType.Default)
            return (nn.Conv2d(inChannels, 64, 7, stride: 2, padding: 3, bias: false), 64);
        if (type is not (StemType.Deep or StemType.DeepTiered))
            throw new ArgumentOutOfRangeException(nameof(type), type, "Unknown stem type.");
        Guard.Positive(stemWidth, nameof(stemWidth));
        int first = type == StemType.DeepTiered ? 3 * (stemWidth / 4) : stemWidth;
        Guard.Positive(first, "3 * (stemWidth / 4)");
        int output = stemWidth * 2;
        var module = nn.Sequential(
            nn.Conv2d(inChannels, first, 3, stride: 2, padding: 1, bias: false),
            nn.BatchNorm2d(first),
            nn.ReLU(inplace: true),
            nn.Conv2d(first, stemWidth, 3, padding: 1, bias: false),
            nn.BatchNorm2d(stemWidth),
            nn.ReLU(inplace: true),
            nn.Conv2d(stemWidth, output, 3, padding: 1, bias: false));
        return (module, output);
    }

    /// <summary>Returns the stem's output before the max pool (stride 2), then after it (stride 4).</summary>
    /// <param name="input">Images [N, C, H, W].</param>
    /// <returns>The stride-4 features.</returns>
    public override Tensor forward(Tensor input)
    {
        Guard.Image(input, InChannels, nameof(Stem));
        using var scope = NewDisposeScope();
        return maxpool.call(bn1.CallOrPass(conv1.call(input)).relu_()).MoveToOuterDisposeScope();
    }
}
