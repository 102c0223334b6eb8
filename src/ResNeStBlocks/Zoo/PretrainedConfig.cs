using System.Collections.Generic;
using ResNeStBlocks.Preprocessing;

namespace ResNeStBlocks.Zoo;

/// <summary>
/// How timm's published weights for a model expect their input (timm <c>pretrained_cfg</c>): evaluate
/// by resizing the shorter side to <c>floor(InputSize / CropFraction)</c>, center-cropping
/// <see cref="InputSize"/>, scaling to [0, 1] and normalising with <see cref="Mean"/> and <see cref="Std"/>.
/// </summary>
/// <param name="HubId">Where timm publishes the weights, such as <c>timm/resnest50d.in1k</c>.</param>
/// <param name="InputSize">Side of the square network input (224 for ResNeSt-50, 416 for ResNeSt-269).</param>
/// <param name="CropFraction">Fraction of the resized image kept by the center crop (timm <c>crop_pct</c>).</param>
/// <param name="Interpolation">Resize filter.</param>
/// <param name="Mean">Per-channel RGB mean.</param>
/// <param name="Std">Per-channel RGB standard deviation.</param>
/// <param name="NumClasses">Classes of the published classifier.</param>
public sealed record PretrainedConfig(string HubId, int InputSize, double CropFraction, Interpolation Interpolation,
    IReadOnlyList<float> Mean, IReadOnlyList<float> Std, int NumClasses = 1000)
{
    /// <summary>The eval-time preprocessing these weights expect (resize, center crop, normalise).</summary>
    /// <returns>A preprocessor for images of any size.</returns>
    public ImagePreprocessor CreatePreprocessor() => new(InputSize, CropFraction, Interpolation, Mean, Std);

    /// <summary>The configuration of timm's weights <c>timm/{name}</c> (ImageNet mean and std, 1000 classes).</summary>
    internal static PretrainedConfig Timm(string name, int size, double crop, Interpolation interpolation) =>
        new("timm/" + name, size, crop, interpolation, ImagePreprocessor.ImageNetMean, ImagePreprocessor.ImageNetStd);
}
