using FluentAssertions;
using ResNeStBlocks.Backbones;
using ResNeStBlocks.Dense;
using ResNeStBlocks.Zoo;
using Xunit;
using static TorchSharp.torch;

namespace ResNeStBlocks.Tests.Backbones;

/// <summary>A decoded image passed straight to a model is refused with the preprocessing that fixes it.</summary>
public class EightBitImageInputTests
{
    private const string Fix =
        "Preprocess each image with ImagePreprocessor.Process (for pretrained weights: ModelZoo.Pretrained(name).CreatePreprocessor()) " +
        "and stack them, or convert yourself: image.permute(2, 0, 1).unsqueeze(0), to float32, divided by 255, normalised by the weights' mean and std. " +
        "(Parameter 'input')";

    private static ResNetConfig Small(int numClasses, int outputStride = 32) =>
        ModelZoo.Config("resnet50") with { Layers = new[] { 1, 1, 1, 1 }, Channels = new[] { 8, 8, 8, 16 }, NumClasses = numClasses, OutputStride = outputStride };

    [Fact]
    public void A_ResNet_hints_at_ImagePreprocessor_for_a_uint8_HWC_image()
    {
        using var model = new ResNet(Small(10));
        using var image = zeros(new long[] { 32, 48, 3 }, ScalarType.Byte);
        FluentActions.Invoking(() => model.call(image)).Should().Throw<System.ArgumentException>().WithParameterName("input")
            .WithMessage("ResNet was given a uint8 image in height-width-channel layout (shape [32, 48, 3]), but takes normalised " +
                         "floating-point images [batch, 3, height, width]. " + Fix);
        using var batch = zeros(new long[] { 2, 32, 48, 3 }, ScalarType.Byte);
        FluentActions.Invoking(() => model.call(batch)).Should().Throw<System.ArgumentException>()
            .WithMessage("ResNet was given a uint8 image in height-width-channel layout (shape [2, 32, 48, 3]), but takes normalised " +
                         "floating-point images [batch, 3, height, width]. " + Fix);
    }

    [Fact]
    public void A_segmentation_model_gives_the_same_hint_and_names_a_uint8_NCHW_tensor_too()
    {
        using var model = SegmentationModels.Create(SegmentationHeadType.Fcn, Small(0, 8), numClasses: 3, auxLoss: false);
        using var image = zeros(new long[] { 40, 40, 3 }, ScalarType.Byte);
        FluentActions.Invoking(() => model.call(image)).Should().Throw<System.ArgumentException>()
            .WithMessage("SegmentationModel was given a uint8 image in height-width-channel layout (shape [40, 40, 3]), but takes normalised " +
                         "floating-point images [batch, 3, height, width]. " + Fix);
        using var planar = zeros(new long[] { 1, 3, 40, 40 }, ScalarType.Byte);
        FluentActions.Invoking(() => model.call(planar)).Should().Throw<System.ArgumentException>()
            .WithMessage("SegmentationModel was given a uint8 tensor (shape [1, 3, 40, 40]), but takes normalised " +
                         "floating-point images [batch, 3, height, width]. " + Fix);
    }
}
