using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNeStBlocks.Preprocessing;

/// <summary>
/// timm's eval preprocessing of one image: resize the shorter side to <c>floor(inputSize / cropFraction)</c> keeping
/// the aspect ratio, center-crop <c>inputSize x inputSize</c>, scale to [0, 1] and normalise with a per-channel mean
/// and standard deviation. The result is what a timm classifier expects as one sample.
/// </summary>
/// <remarks>
/// <para>
/// timm resizes 8-bit images with PIL. For a <see cref="ScalarType.Byte"/> image this class reproduces PIL's
/// resampling: an antialiased horizontal pass, rounding to 8 bits, an antialiased vertical pass, rounding again;
/// on timm's own reference outputs it lands within about 1e-4 (mean absolute difference, normalised units).
/// A floating-point image is resized in one antialiased pass without rounding, as torchvision does for tensors.
/// </para>
/// <para>Geometry follows torchvision: the longer side becomes <c>int(scale * long / short)</c> and the crop origin
/// is <c>round((size - inputSize) / 2)</c>, rounding half to even.</para>
/// </remarks>
public sealed class ImagePreprocessor
{
    // The 8-bit range, as scalars held for the process (a temporary Scalar can be finalized during a native call).
    private static readonly Scalar Zero = 0;
    private static readonly Scalar MaxByte = 255;

    /// <summary>ImageNet channel means (RGB), timm's <c>IMAGENET_DEFAULT_MEAN</c>.</summary>
    public static IReadOnlyList<float> ImageNetMean { get; } = new[] { 0.485f, 0.456f, 0.406f };

    /// <summary>ImageNet channel standard deviations (RGB), timm's <c>IMAGENET_DEFAULT_STD</c>.</summary>
    public static IReadOnlyList<float> ImageNetStd { get; } = new[] { 0.229f, 0.224f, 0.225f };

    private readonly float[] mean;
    private readonly float[] std;
    // Mean and std as [3, 1, 1] tensors per device, made once: a fresh host-to-device copy of six floats per image
    // would cost a transfer (and, on a GPU, a synchronisation of the copy) for every call.
    private readonly Dictionary<(DeviceType Type, int Index), (Tensor Mean, Tensor Std)> normalisers = new();

    /// <summary>Creates a preprocessor.</summary>
    /// <param name="inputSize">Side of the square output (timm <c>input_size[-1]</c>), at least 1.</param>
    /// <param name="cropFraction">Fraction of the resized shorter side kept by the center crop (timm <c>crop_pct</c>), in (0, 1].</param>
    /// <param name="interpolation">Resampling filter (timm <c>interpolation</c>).</param>
    /// <param name="mean">Per-channel means, RGB order, three values.</param>
    /// <param name="std">Per-channel standard deviations, RGB order, three positive values.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size, fraction or filter is out of range, or a standard deviation is not positive.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="mean"/> or <paramref name="std"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="mean"/> or <paramref name="std"/> does not have three values.</exception>
    public ImagePreprocessor(int inputSize, double cropFraction, Interpolation interpolation, IReadOnlyList<float> mean, IReadOnlyList<float> std)
    {
        Guard.Positive(inputSize, nameof(inputSize));
        if (!(cropFraction > 0 && cropFraction <= 1))
            throw new ArgumentOutOfRangeException(nameof(cropFraction), cropFraction,
                $"cropFraction must be in (0, 1], got {cropFraction.ToString(CultureInfo.InvariantCulture)}.");
        if (!Enum.IsDefined(interpolation))
            throw new ArgumentOutOfRangeException(nameof(interpolation), interpolation,
                $"interpolation must be Bilinear or Bicubic, got {(int)interpolation}.");
        this.mean = ThreeChannels(mean, nameof(mean));
        this.std = ThreeChannels(std, nameof(std));
        for (int c = 0; c < 3; c++)
        {
            if (!(this.std[c] > 0) || float.IsInfinity(this.std[c]))
                throw new ArgumentOutOfRangeException(nameof(std), this.std[c],
                    $"std values must be positive and finite, got {this.std[c].ToString(CultureInfo.InvariantCulture)} for channel {c}.");
        }

        InputSize = inputSize;
        CropFraction = cropFraction;
        Interpolation = interpolation;
        ResizeSize = ResizeGeometry.ScaleSize(inputSize, cropFraction);
        Runtime.NativeRuntime.EnsureCpuChecked();
    }

    /// <summary>Side of the square output.</summary>
    public int InputSize { get; }

    /// <summary>Fraction of the resized shorter side kept by the center crop.</summary>
    public double CropFraction { get; }

    /// <summary>The resampling filter.</summary>
    public Interpolation Interpolation { get; }

    /// <summary>The shorter side after resizing: <c>floor(InputSize / CropFraction)</c> (256 for 224 at 0.875).</summary>
    public int ResizeSize { get; }

    /// <summary>Per-channel means (RGB).</summary>
    public IReadOnlyList<float> Mean => mean;

    /// <summary>Per-channel standard deviations (RGB).</summary>
    public IReadOnlyList<float> Std => std;

    /// <summary>The size an image of <paramref name="height"/> x <paramref name="width"/> is resized to before cropping.</summary>
    /// <param name="height">Image height, at least 1.</param>
    /// <param name="width">Image width, at least 1.</param>
    /// <returns>The resized height and width; the shorter side is <see cref="ResizeSize"/>.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A side is below 1.</exception>
    public (long Height, long Width) ResizedSize(long height, long width)
    {
        if (height < 1)
            throw new ArgumentOutOfRangeException(nameof(height), height, $"height must be at least 1, got {height}.");
        if (width < 1)
            throw new ArgumentOutOfRangeException(nameof(width), width, $"width must be at least 1, got {width}.");
        return ResizeGeometry.ShorterSideTo(height, width, ResizeSize);
    }

    /// <summary>Preprocesses one RGB image.</summary>
    /// <param name="image">
    /// Either an 8-bit image <c>[height, width, 3]</c> (<see cref="ScalarType.Byte"/>, as decoders produce it) or a
    /// floating-point image <c>[3, height, width]</c> with values in [0, 1]; on any device.
    /// </param>
    /// <returns>A float32 tensor <c>[3, InputSize, InputSize]</c> on the image's device; the caller owns it.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="image"/> is null.</exception>
    /// <exception cref="ArgumentException">The image's rank, channel count or dtype is not one of the two layouts.</exception>
    public Tensor Process(Tensor image)
    {
        ArgumentNullException.ThrowIfNull(image);
        bool eightBit = CheckLayout(image);
        using var scope = NewDisposeScope();
        long height = eightBit ? image.shape[0] : image.shape[1];
        long width = eightBit ? image.shape[1] : image.shape[2];
        var (newHeight, newWidth) = ResizedSize(height, width);

        var resized = eightBit
            ? ResizeLikePil(image.permute(2, 0, 1).unsqueeze(0).to(ScalarType.Float32), height, newHeight, newWidth).div_(MaxByte)
            : Resize(image.unsqueeze(0).to(ScalarType.Float32), newHeight, newWidth);

        long top = ResizeGeometry.CropOffset(newHeight, InputSize);
        long left = ResizeGeometry.CropOffset(newWidth, InputSize);
        var cropped = resized[0].narrow(1, top, InputSize).narrow(2, left, InputSize);
        var (meanTensor, stdTensor) = Normalisers(image.device);
        return ((cropped - meanTensor) / stdTensor).MoveToOuterDisposeScope();
    }

    /// <summary>The mean and std tensors for <paramref name="device"/>, created on first use and kept with this preprocessor.</summary>
    private (Tensor Mean, Tensor Std) Normalisers(Device device)
    {
        var key = (device.type, device.index);
        lock (normalisers)
        {
            if (!normalisers.TryGetValue(key, out var pair))
            {
                pair = (tensor(mean, ScalarType.Float32, device).view(3, 1, 1).DetachFromDisposeScope(),
                        tensor(std, ScalarType.Float32, device).view(3, 1, 1).DetachFromDisposeScope());
                normalisers[key] = pair;
            }
            return pair;
        }
    }

    /// <summary>PIL's order on 8-bit images: horizontal pass, round to 8 bits, vertical pass, round to 8 bits.</summary>
    private Tensor ResizeLikePil(Tensor batch, long height, long newHeight, long newWidth)
    {
        var horizontal = Resize(batch, height, newWidth).round_().clamp_(Zero, MaxByte);
        return Resize(horizontal, newHeight, newWidth).round_().clamp_(Zero, MaxByte);
    }

    private Tensor Resize(Tensor batch, long height, long width) =>
        nn.functional.interpolate(batch, new[] { height, width },
            mode: Interpolation == Interpolation.Bicubic ? InterpolationMode.Bicubic : InterpolationMode.Bilinear,
            align_corners: false, antialias: true);

    /// <summary>True for an 8-bit HWC image, false for a floating-point CHW image; throws for anything else.</summary>
    private static bool CheckLayout(Tensor image)
    {
        string shape = "[" + string.Join(", ", image.shape) + "]";
        if (image.dim() != 3)
            throw new ArgumentException(
                $"image must be 3-D: [height, width, 3] uint8 or [3, height, width] floating point, got shape {shape}.",
                nameof(image));
        if (image.numel() == 0)
            throw new ArgumentException($"image must not be empty, got shape {shape}.", nameof(image));
        if (image.dtype == ScalarType.Byte)
        {
            if (image.shape[2] != 3)
                throw new ArgumentException($"A uint8 image must be [height, width, 3] (RGB), got shape {shape}.", nameof(image));
            return true;
        }
        if (image.dtype.IsFloatingPoint())
        {
            if (image.shape[0] != 3)
                throw new ArgumentException($"A floating-point image must be [3, height, width] (RGB), got shape {shape}.", nameof(image));
            return false;
        }
        throw new ArgumentException($"image must be uint8 or floating point, got {image.dtype}.", nameof(image));
    }

    private static float[] ThreeChannels(IReadOnlyList<float> values, string name)
    {
        ArgumentNullException.ThrowIfNull(values, name);
        if (values.Count != 3)
            throw new ArgumentException($"{name} must have 3 values (R, G, B), got {values.Count}.", name);
        return values.ToArray();
    }
}
