using System;
using System.IO;
using System.Linq;
using FluentAssertions;
using ResNeStBlocks.Dense;
using ResNeStBlocks.Onnx;
using ResNeStBlocks.Preprocessing;
using ResNeStBlocks.Samples.OnnxImages;
using ResNeStBlocks.Samples.OnnxSegment;
using ResNeStBlocks.Testing;
using ResNeStBlocks.Zoo;
using Xunit;
using static TorchSharp.torch;

namespace ResNeStBlocks.Samples.Tests;

/// <summary>
/// samples/OnnxSegment end to end (export with the library, segment with ONNX Runtime and the file's metadata only, write
/// PNGs): exact overlay pixels on generated images, the mask against the library's argmax, the crop of a fixed-size model,
/// and the palette, blending and preprocessing it is built from.
/// </summary>
public sealed class OnnxSegmentTests : IDisposable
{
    private const int Side = 32;
    private readonly string root = Path.Combine(Path.GetTempPath(), "onnx-segment-" + Guid.NewGuid().ToString("N"));

    public OnnxSegmentTests() => Directory.CreateDirectory(root);

    public void Dispose()
    {
        try { Directory.Delete(root, recursive: true); }
        catch (IOException) { }   // a file still held open by a failing test must not hide its failure
    }

    /// <summary>torchvision's segmentation preprocessing at a small size: shorter side to 32, ImageNet mean and std.</summary>
    private static readonly PretrainedConfig Preprocessing =
        new(ResNeStBlocks.Weights.WeightsSource.HuggingFace("test/tiny-segmentation"), Side, 1.0, Interpolation.Bilinear, ImagePreprocessor.ImageNetMean, ImagePreprocessor.ImageNetStd, 21);

    private static readonly byte[] Left = { 200, 100, 50 };
    private static readonly byte[] Right = { 10, 220, 130 };

    /// <summary>An image whose left half is one colour and right half another.</summary>
    private static byte[] TwoHalves(int height, int width)
    {
        var rgb = new byte[height * width * 3];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                Array.Copy(x < width / 2 ? Left : Right, 0, rgb, (y * width + x) * 3, 3);
        return rgb;
    }

    private string Write(string name, byte[] rgb, int height, int width)
    {
        string path = Path.Combine(root, name);
        PngFile.WriteRgb(path, rgb, height, width);
        return path;
    }

    /// <summary>A 21-class model whose every pixel is class <paramref name="winner"/>: the final convolution's weights are zero, its bias one-hot.</summary>
    private string ConstantModel(int winner, bool dynamic)
    {
        using var model = SmallDenseModels.Segmentation(SegmentationHeadType.DeepLabV3, aux: false, outputStride: 8, classes: 21);
        using (no_grad())
        {
            var state = model.state_dict();
            state["classifier.4.weight"].zero_();
            state["classifier.4.bias"].zero_();
            state["classifier.4.bias"][winner].fill_(1.0f);
        }
        string path = Path.Combine(root, dynamic ? "constant-any-size.onnx" : "constant-fixed.onnx");
        OnnxExporter.Export(model, path, new OnnxExportOptions { Pretrained = Preprocessing, DynamicSpatialSize = dynamic });
        return path;
    }

    private static (int Exit, string Output, string Error) Run(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int exit = SegmentApp.Execute(args, output, error);
        return (exit, output.ToString(), error.ToString());
    }

    [Fact]
    public void The_overlay_and_mask_of_a_generated_image_have_exact_pixels()
    {
        string model = ConstantModel(winner: 8, dynamic: true);
        string image = Write("halves.png", TwoHalves(Side, 48), Side, 48);
        string overlay = Path.Combine(root, "overlay.png"), mask = Path.Combine(root, "mask.png");

        var (exit, output, error) = Run(model, image, "--out", overlay, "--mask", mask);

        exit.Should().Be(0, error);
        output.Should().Be(
            $"halves.png (48x32), 21 classes, whole image, shorter side resized to 32{Environment.NewLine}" +
            $"   100.0%  cat{Environment.NewLine}overlay: {overlay}{Environment.NewLine}mask: {mask}{Environment.NewLine}");
        // Class 8 ("cat") is (64, 0, 0) in VOC's colour map; half of each channel's distance, halves to even.
        var blended = ImageFiles.Decode(overlay);
        (blended.Width, blended.Height).Should().Be((48, Side));
        for (int y = 0; y < Side; y++)
            for (int x = 0; x < 48; x++)
                blended.Data.Skip((y * 48 + x) * 3).Take(3).Should().Equal(x < 24 ? new byte[] { 132, 50, 25 } : new byte[] { 37, 110, 65 }, $"pixel ({y}, {x})");
        ImageFiles.Decode(mask).Data.Chunk(3).Should().AllSatisfy(pixel => pixel.Should().Equal(64, 0, 0));
    }

    [Fact]
    public void A_fixed_size_model_sees_the_center_crop_and_the_rest_keeps_its_colours()
    {
        string model = ConstantModel(winner: 15, dynamic: false);
        string image = Write("wide.png", TwoHalves(Side, 48), Side, 48);
        string overlay = Path.Combine(root, "crop.png"), mask = Path.Combine(root, "crop-mask.png");

        var (exit, output, _) = Run(model, image, "--out", overlay, "--mask", mask, "--alpha", "1");

        exit.Should().Be(0);
        output.Should().Contain("center crop 32").And.Contain("66.7%  person");
        // The 32x32 crop starts at column 8: columns 8..39 are "person" (192, 128, 128), the others unseen.
        var blended = ImageFiles.Decode(overlay).Data;
        var colours = ImageFiles.Decode(mask).Data;
        for (int x = 0; x < 48; x++)
        {
            bool seen = x is >= 8 and < 40;
            blended.Skip((5 * 48 + x) * 3).Take(3).Should().Equal(seen ? new byte[] { 192, 128, 128 } : x < 24 ? Left : Right, $"column {x}");
            colours.Skip((5 * 48 + x) * 3).Take(3).Should().Equal(seen ? new byte[] { 192, 128, 128 } : new byte[] { 224, 224, 192 }, $"mask column {x}");
        }
    }

    [Fact]
    public void The_mask_of_a_random_model_is_the_librarys_argmax()
    {
        using var model = SmallDenseModels.Segmentation(SegmentationHeadType.Fcn, aux: true, outputStride: 8, classes: 5);
        SeededConvolutions(model, 53);
        RandomNorms.Randomize(model, 53);
        model.eval();
        string path = Path.Combine(root, "random.onnx");
        OnnxExporter.Export(model, path, new OnnxExportOptions { Pretrained = Preprocessing, DynamicSpatialSize = true });
        var random = new Random(59);
        var rgb = new byte[Side * 40 * 3];
        random.NextBytes(rgb);

        using var segmenter = new OnnxImageSegmenter(path);
        var mask = segmenter.Segment(new StbImageSharp.ImageResult { Data = rgb, Height = Side, Width = 40, Comp = StbImageSharp.ColorComponents.RedGreenBlue });

        using var scope = NewDisposeScope();
        var mean = tensor(ImagePreprocessor.ImageNetMean.ToArray()).view(3, 1, 1);
        var std = tensor(ImagePreprocessor.ImageNetStd.ToArray()).view(3, 1, 1);
        var input = ((tensor(rgb, new long[] { Side, 40, 3 }, ScalarType.Byte).permute(2, 0, 1).to(ScalarType.Float32) / 255f - mean) / std).unsqueeze(0);
        using var _ = no_grad();
        var logits = model.call(input)[0];
        var (values, indices) = logits.topk(2, dim: 0);
        var expected = indices[0].to(ScalarType.Byte).flatten().data<byte>().ToArray();
        var margin = (values[0] - values[1]).flatten().data<float>().ToArray();
        var decided = Enumerable.Range(0, expected.Length).Where(i => margin[i] > 1e-3).ToArray();
        decided.Length.Should().BeGreaterThan(expected.Length * 9 / 10, "almost every pixel has a clear winner");
        decided.Select(i => mask.Classes[i]).Should().Equal(decided.Select(i => expected[i]));
        mask.Classes.Distinct().Count().Should().BeGreaterThan(1, "the random model's mask is not uniform");
        mask.Shares().Sum(s => s.Share).Should().BeApproximately(1.0, 1e-9);
    }

    /// <summary>Kaiming-normal convolution weights from a generator of their own, so the model (and its mask) is the same in every run.</summary>
    private static void SeededConvolutions(nn.Module model, ulong seed)
    {
        var generator = new Generator(seed);
        using var _ = no_grad();
        foreach (var conv in model.modules().OfType<TorchSharp.Modules.Conv2d>())
        {
            var weight = conv.weight!;
            long fanIn = weight.shape[1] * weight.shape[2] * weight.shape[3];
            using var values = randn(weight.shape, generator: generator) * Math.Sqrt(2.0 / fanIn);
            weight.copy_(values);
        }
    }

    [Fact]
    public void Palette_is_VOCs_and_blending_keeps_background_and_unseen_pixels()
    {
        VocPalette.Colour(0).Should().Be(((byte)0, (byte)0, (byte)0));
        VocPalette.Colour(1).Should().Be(((byte)128, (byte)0, (byte)0));
        VocPalette.Colour(3).Should().Be(((byte)128, (byte)128, (byte)0));
        VocPalette.Colour(15).Should().Be(((byte)192, (byte)128, (byte)128));
        VocPalette.Colour(255).Should().Be(((byte)224, (byte)224, (byte)192));
        VocPalette.ClassNames.Should().HaveCount(21);
        VocPalette.Name(15, 21).Should().Be("person");
        VocPalette.Name(15, 16).Should().Be("class 15");

        var mask = new SegmentationMask(new byte[] { 0, 1, 3, SegmentationMask.Unseen }, 2, 2, 21);
        byte[] image = { 10, 20, 30, 200, 101, 50, 0, 255, 7, 1, 2, 3 };
        SegmentationOverlay.Blend(image, mask, 0.5).Should().Equal(10, 20, 30, 164, 50, 25, 64, 192, 4, 1, 2, 3);
        SegmentationOverlay.Blend(image, mask, 0.25).Should().Equal(10, 20, 30, 182, 76, 38, 32, 223, 5, 1, 2, 3);
        FluentActions.Invoking(() => SegmentationOverlay.Blend(image, mask, 1.5)).Should().Throw<ArgumentException>().WithParameterName("alpha");
    }

    [Fact]
    public void Whole_image_preprocessing_is_the_crop_of_a_square_image_and_keeps_the_aspect_otherwise()
    {
        var preprocessor = new RgbPreprocessor(Side, 1.0, bicubic: false, ImagePreprocessor.ImageNetMean, ImagePreprocessor.ImageNetStd);
        var random = new Random(61);
        var square = new byte[50 * 50 * 3];
        random.NextBytes(square);
        var (pixels, height, width) = preprocessor.ProcessWhole(square, 50, 50);
        (height, width).Should().Be((Side, Side));
        pixels.Should().Equal(preprocessor.Process(square, 50, 50));

        var wide = new byte[50 * 80 * 3];
        random.NextBytes(wide);
        var (_, wideHeight, wideWidth) = preprocessor.ProcessWhole(wide, 50, 80);
        (wideHeight, wideWidth).Should().Be((Side, 51), "torchvision's Resize(32): the longer side is int(32 * 80 / 50)");
        preprocessor.CropOrigin(50, 80).Should().Be((0, 10));
    }

    [Fact]
    public void A_model_without_an_out_output_or_a_missing_file_is_refused_with_exit_code_2()
    {
        using var classifier = new Backbones.ResNet(SmallDenseModels.ResNeSt() with { NumClasses = 3 });
        string path = Path.Combine(root, "classifier.onnx");
        OnnxExporter.Export(classifier, path, new OnnxExportOptions { Pretrained = Preprocessing });
        string image = Write("any.png", TwoHalves(8, 8), 8, 8);

        var (exit, _, error) = Run(path, image);
        exit.Should().Be(2);
        error.Should().Be($"error: {path} has no output 'out' (its outputs: logits); export a SegmentationModel.{Environment.NewLine}");

        var missing = Run(Path.Combine(root, "none.onnx"), image);
        missing.Exit.Should().Be(2);
        missing.Error.Should().StartWith("error: Model file not found:");
        Run(path).Exit.Should().Be(2);
    }
}
