using System.Linq;
using ResNeStBlocks.Onnx.Graph;
using ResNeStBlocks.Onnx.Proto;

namespace ResNeStBlocks.Onnx.Export.Detection;

/// <summary>
/// <see cref="ResNeStBlocks.Detection.MaskOps.PasteMasksInImage"/> as ONNX nodes, with the library's arithmetic: each
/// mask padded by one zero on every side, its box grown about its centre by <c>(M + 2) / M</c> and truncated to
/// integers, then every mask pasted at once as two batched matrix products with its bilinear interpolation matrices
/// (rows and columns outside the box are zero). No loop: the matrices are built from ranges compared with each box's
/// bounds.
/// </summary>
internal static class MaskPasteGraph
{
    private const TensorProto.Types.DataType Float = TensorProto.Types.DataType.Float;
    private const TensorProto.Types.DataType Int64 = TensorProto.Types.DataType.Int64;

    /// <param name="ops">The graph's detection operations.</param>
    /// <param name="masks">[N, 1, M, M] probabilities.</param>
    /// <param name="boxes">[N, 4] boxes in the image's pixels.</param>
    /// <param name="imageSize">The image's (height, width), int64 [2].</param>
    /// <param name="side">M, the masks' side.</param>
    /// <param name="padding">Zeros added around each mask (torchvision: 1).</param>
    /// <returns>[N, 1, height, width].</returns>
    public static string Paste(DetectionOps ops, string masks, string boxes, string imageSize, int side, int padding = 1)
    {
        var builder = ops.Builder;
        long padded = side + 2 * padding;
        string padMasks = ops.Node("Squeeze", ops.Node("Pad", masks, builder.Int64s(0, 0, padding, padding, 0, 0, padding, padding)), builder.Int64s(1));
        string scale = builder.Float32Scalar((float)((double)padded / side));
        string half = builder.Float32Scalar(0.5f);
        string halfWidth = ops.Node("Mul", ops.Node("Mul", ops.Node("Sub", ops.Column(boxes, 2), ops.Column(boxes, 0)), half), scale);
        string halfHeight = ops.Node("Mul", ops.Node("Mul", ops.Node("Sub", ops.Column(boxes, 3), ops.Column(boxes, 1)), half), scale);
        string centreX = ops.Node("Mul", ops.Node("Add", ops.Column(boxes, 2), ops.Column(boxes, 0)), half);
        string centreY = ops.Node("Mul", ops.Node("Add", ops.Column(boxes, 3), ops.Column(boxes, 1)), half);
        // Cast truncates toward zero, as torchvision's .to(torch.int64).
        string x1 = ops.Cast(ops.Node("Sub", centreX, halfWidth), Int64);
        string x2 = ops.Cast(ops.Node("Add", centreX, halfWidth), Int64);
        string y1 = ops.Cast(ops.Node("Sub", centreY, halfHeight), Int64);
        string y2 = ops.Cast(ops.Node("Add", centreY, halfHeight), Int64);
        string height = ops.Node("Slice", imageSize, builder.Int64s(0), builder.Int64s(1));
        string width = ops.Node("Slice", imageSize, builder.Int64s(1), builder.Int64s(2));
        string rows = Interpolation(ops, y1, y2, height, padded);
        string columns = Interpolation(ops, x1, x2, width, padded);
        string pasted = ops.Node("MatMul", ops.Node("MatMul", rows, padMasks), ops.Node("Transpose", new[] { columns }, Attr.Ints("perm", 0, 2, 1)));
        return ops.Unsqueeze(pasted, 1);
    }

    /// <summary>
    /// Per box, the [N, size, padded] matrix of the bilinear resize (corners not aligned) of <paramref name="padded"/>
    /// samples to the box's <c>max(end - start + 1, 1)</c> pixels, placed from <paramref name="start"/> and zero outside
    /// <c>start..end</c>.
    /// </summary>
    private static string Interpolation(DetectionOps ops, string start, string end, string size, long padded)
    {
        var builder = ops.Builder;
        string one = builder.Float32Scalar(1f), half = builder.Float32Scalar(0.5f);
        string length = ops.Cast(ops.Node("Max", ops.Node("Add", ops.Node("Sub", end, start), builder.Int64Scalar(1)), builder.Int64Scalar(1)), Float);
        string step = ops.Unsqueeze(ops.Node("Div", builder.Float32Scalar(padded), length), 1);
        string pixelsLong = ops.Unsqueeze(ops.Node("Range", builder.Int64Scalar(0), ops.Node("Squeeze", size, builder.Int64s(0)), builder.Int64Scalar(1)), 0);
        string pixels = ops.Cast(pixelsLong, Float);
        string startValue = ops.Unsqueeze(ops.Cast(start, Float), 1);
        // area_pixel_compute_source_index: scale * (dst + 0.5) - 0.5, negative values clamped to 0.
        string source = ops.Node("Max", ops.Node("Sub", ops.Node("Mul", ops.Node("Add", ops.Node("Sub", pixels, startValue), half), step), half),
            builder.Float32Scalar(0f));
        string low = ops.Node("Floor", source);
        string lambda = ops.Node("Sub", source, low);
        string high = ops.Node("Min", ops.Node("Add", low, one), builder.Float32Scalar(padded - 1));
        string taps = builder.Float32Tensor(Enumerable.Range(0, (int)padded).Select(i => (float)i).ToArray(), new long[] { 1, 1, padded });
        string lowWeights = ops.Node("Mul", ops.Cast(ops.Node("Equal", taps, ops.Unsqueeze(low, 2)), Float), ops.Unsqueeze(ops.Node("Add", ops.Node("Neg", lambda), one), 2));
        string highWeights = ops.Node("Mul", ops.Cast(ops.Node("Equal", taps, ops.Unsqueeze(high, 2)), Float), ops.Unsqueeze(lambda, 2));
        string inside = ops.Node("And", ops.Node("GreaterOrEqual", pixelsLong, ops.Unsqueeze(start, 1)), ops.Node("LessOrEqual", pixelsLong, ops.Unsqueeze(end, 1)));
        return ops.Node("Mul", ops.Node("Add", lowWeights, highWeights), ops.Unsqueeze(ops.Cast(inside, Float), 2));
    }
}
