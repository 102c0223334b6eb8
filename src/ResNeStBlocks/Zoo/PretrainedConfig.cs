using System.Collections.Generic;
using ResNeStBlocks.Preprocessing;
using ResNeStBlocks.Weights;

namespace ResNeStBlocks.Zoo;

/// <summary>
/// One description of published weights, whoever publishes them (timm on the Hugging Face Hub, torchvision through
/// torch.hub): where the file is and how it is checked (<see cref="Source"/>), how the weights expect their input
/// (timm's <c>pretrained_cfg</c>: resize the shorter side to <c>floor(InputSize / CropFraction)</c>, center-crop
/// <see cref="InputSize"/>, scale to [0, 1], normalise with <see cref="Mean"/> and <see cref="Std"/>) and what they predict.
/// </summary>
/// <param name="Source">Where the weights are, such as the Hub's <c>timm/resnest50d.in1k</c>; null for a preprocessing of weights that are not published.</param>
/// <param name="InputSize">Side of the square network input (224 for ResNeSt-50, 416 for ResNeSt-269).</param>
/// <param name="CropFraction">Fraction of the resized image kept by the center crop (timm <c>crop_pct</c>).</param>
/// <param name="Interpolation">Resize filter.</param>
/// <param name="Mean">Per-channel RGB mean.</param>
/// <param name="Std">Per-channel RGB standard deviation.</param>
/// <param name="NumClasses">Classes of the published classifier.</param>
public sealed record PretrainedConfig(WeightsSource? Source, int InputSize, double CropFraction, Interpolation Interpolation,
    IReadOnlyList<float> Mean, IReadOnlyList<float> Std, int NumClasses = 1000)
{
    /// <summary>
    /// The class names in class-index order where they are known (ImageNet's 1000 for timm's <c>in1k</c> weights,
    /// torchvision's VOC categories for its segmentation weights), else null.
    /// </summary>
    public IReadOnlyList<string>? ClassNames { get; init; }

    /// <summary>The eval-time preprocessing these weights expect (resize, center crop, normalise).</summary>
    /// <returns>A preprocessor for images of any size.</returns>
    public ImagePreprocessor CreatePreprocessor() => new(InputSize, CropFraction, Interpolation, Mean, Std);

    /// <summary>The configuration of timm's ImageNet-1k weights <c>timm/{name}</c> (ImageNet mean and std, its 1000 classes).</summary>
    internal static PretrainedConfig Timm(string name, int size, double crop, Interpolation interpolation) =>
        new(WeightsSource.HuggingFace("timm/" + name), size, crop, interpolation, ImagePreprocessor.ImageNetMean, ImagePreprocessor.ImageNetStd)
        {
            ClassNames = ImageNetCategories.Names,
        };
}
