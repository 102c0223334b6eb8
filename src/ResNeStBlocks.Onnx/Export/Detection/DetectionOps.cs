using System.Collections.Generic;
using System.Linq;
using ResNeStBlocks.Onnx.Graph;
using ResNeStBlocks.Onnx.Proto;

namespace ResNeStBlocks.Onnx.Export.Detection;

/// <summary>
/// The post-processing pieces every detector's graph is built from, each the ONNX twin of one of the library's detection
/// operations (anchors, box decoding, clipping, small-box and score filters, batched NMS, top-k per level, multi-scale
/// RoiAlign), emitted for batch 1 with every count read at run time. Values are ONNX value names.
/// </summary>
internal sealed class DetectionOps
{
    private const TensorProto.Types.DataType Float = TensorProto.Types.DataType.Float;
    private const TensorProto.Types.DataType Double = TensorProto.Types.DataType.Double;
    private const TensorProto.Types.DataType Int64 = TensorProto.Types.DataType.Int64;

    public DetectionOps(OnnxGraphBuilder builder) => Builder = builder;

    public OnnxGraphBuilder Builder { get; }

    /// <summary>The module path the nodes are named under (<c>rpn</c>, <c>roi_heads</c>, ...).</summary>
    public string Path { get; set; } = "";

    public string Node(string opType, params string[] inputs) => Builder.Node(opType, Path, inputs);

    public string Node(string opType, string[] inputs, params AttributeProto[] attributes) => Builder.Node(opType, Path, inputs, attributes);

    public string Cast(string value, TensorProto.Types.DataType type) => Node("Cast", new[] { value }, Attr.Int("to", (long)type));

    /// <summary>Sizes <paramref name="start"/>..<paramref name="end"/> of a value's shape, int64 [end - start].</summary>
    public string Dims(string value, int start, int end) => Node("Shape", new[] { value }, Attr.Int("start", start), Attr.Int("end", end));

    public string Unsqueeze(string value, params long[] axes) => Node("Unsqueeze", value, Builder.Int64s(axes));

    public string Reshape(string value, params long[] shape) => Node("Reshape", value, Builder.Int64s(shape));

    public string Gather(string value, string indices, int axis = 0) => Node("Gather", new[] { value, indices }, Attr.Int("axis", axis));

    /// <summary>Column <paramref name="index"/> of the last axis, that axis dropped.</summary>
    public string Column(string value, long index) => Node("Gather", new[] { value, Builder.Int64Scalar(index) }, Attr.Int("axis", -1));

    /// <summary>The rows of <paramref name="value"/> (axis 0) where <paramref name="mask"/> holds, in order.</summary>
    public string Select(string value, string mask) => Node("Compress", new[] { value, mask }, Attr.Int("axis", 0));

    /// <summary>The first <paramref name="count"/> rows (fewer when there are fewer).</summary>
    public string First(string value, long count) => Node("Slice", value, Builder.Int64s(0), Builder.Int64s(count), Builder.Int64s(0));

    /// <summary>
    /// Every anchor of one level (<see cref="ResNeStBlocks.Detection.AnchorGenerator.Generate"/>): the level's base anchors
    /// at every cell of its grid, the stride being the padded image's size divided by the map's size, rounded down.
    /// </summary>
    /// <param name="map">The level's map [1, C, h, w].</param>
    /// <param name="paddedSize">The padded image's (height, width), int64 [2].</param>
    /// <param name="cellAnchors">The base anchors, [A * 4] row-major (x1, y1, x2, y2).</param>
    /// <returns>[h * w * A, 4] float32 anchors, cell by cell (row-major), base anchor by base anchor.</returns>
    public string Anchors(string map, string paddedSize, float[] cellAnchors)
    {
        string size = Dims(map, 2, 4);
        string stride = Node("Div", paddedSize, size);
        string one = Builder.Int64Scalar(1), zero = Builder.Int64Scalar(0);
        string height = Node("Squeeze", Node("Slice", size, Builder.Int64s(0), Builder.Int64s(1)), Builder.Int64s(0));
        string width = Node("Squeeze", Node("Slice", size, Builder.Int64s(1), Builder.Int64s(2)), Builder.Int64s(0));
        string strideY = Node("Slice", stride, Builder.Int64s(0), Builder.Int64s(1));
        string strideX = Node("Slice", stride, Builder.Int64s(1), Builder.Int64s(2));
        string shiftsY = Node("Mul", Node("Range", zero, height, one), strideY);
        string shiftsX = Node("Mul", Node("Range", zero, width, one), strideX);
        string y = Reshape(Node("Expand", Unsqueeze(shiftsY, 1), size), -1, 1);
        string x = Reshape(Node("Expand", Unsqueeze(shiftsX, 0), size), -1, 1);
        string shifts = Cast(Node("Concat", new[] { x, y, x, y }, Attr.Int("axis", 1)), Float);
        string cells = Builder.Float32Tensor(cellAnchors, new long[] { 1, cellAnchors.Length / 4, 4 });
        return Reshape(Node("Add", Unsqueeze(shifts, 1), cells), -1, 4);
    }

    /// <summary>Objectness [1, A, h, w] as [h * w * A] (torchvision's <c>permute_and_flatten</c> order).</summary>
    public string FlattenObjectness(string map) => Reshape(Node("Transpose", new[] { map }, Attr.Ints("perm", 0, 2, 3, 1)), -1);

    /// <summary>Deltas [1, 4A, h, w] as [h * w * A, 4].</summary>
    public string FlattenDeltas(string map, int anchors)
    {
        string grouped = Reshape(map, 1, anchors, 4, -1);
        return Reshape(Node("Transpose", new[] { grouped }, Attr.Ints("perm", 0, 3, 1, 2)), -1, 4);
    }

    /// <summary>
    /// <see cref="ResNeStBlocks.Detection.BoxCoder.DecodeSingle"/>: codes [K, k, 4] against reference boxes [K, 4] give
    /// boxes [K, k, 4], in the library's order of operations (sizes and centres, codes divided by the weights, size ratios
    /// clamped, then centre minus and plus half the size).
    /// </summary>
    public string Decode(string codes, string reference, (double X, double Y, double Width, double Height) weights, double clip)
    {
        string x1 = Unsqueeze(Column(reference, 0), 1), y1 = Unsqueeze(Column(reference, 1), 1);
        string width = Node("Sub", Unsqueeze(Column(reference, 2), 1), x1);
        string height = Node("Sub", Unsqueeze(Column(reference, 3), 1), y1);
        string half = Builder.Float32Scalar(0.5f);
        string centreX = Node("Add", x1, Node("Mul", width, half));
        string centreY = Node("Add", y1, Node("Mul", height, half));
        string clipValue = Builder.Float32Scalar((float)clip);
        string dx = Node("Div", Column(codes, 0), Builder.Float32Scalar((float)weights.X));
        string dy = Node("Div", Column(codes, 1), Builder.Float32Scalar((float)weights.Y));
        string dw = Node("Min", Node("Div", Column(codes, 2), Builder.Float32Scalar((float)weights.Width)), clipValue);
        string dh = Node("Min", Node("Div", Column(codes, 3), Builder.Float32Scalar((float)weights.Height)), clipValue);
        string predictedX = Node("Add", Node("Mul", dx, width), centreX);
        string predictedY = Node("Add", Node("Mul", dy, height), centreY);
        string halfWidth = Node("Mul", Node("Mul", Node("Exp", dw), width), half);
        string halfHeight = Node("Mul", Node("Mul", Node("Exp", dh), height), half);
        var corners = new[]
        {
            Node("Sub", predictedX, halfWidth), Node("Sub", predictedY, halfHeight),
            Node("Add", predictedX, halfWidth), Node("Add", predictedY, halfHeight),
        }.Select(c => Unsqueeze(c, 2)).ToArray();
        return Node("Concat", corners, Attr.Int("axis", 2));
    }

    /// <summary>
    /// <see cref="ResNeStBlocks.Detection.BoxLinearCoder.Decode"/>: distances [K, 4] from the centres of reference boxes
    /// [K, 4] give boxes [K, 4], the distances multiplied by the reference's sizes when <paramref name="normalizeBySize"/>.
    /// </summary>
    public string DecodeLinear(string codes, string reference, bool normalizeBySize)
    {
        string x1 = Column(reference, 0), y1 = Column(reference, 1), x2 = Column(reference, 2), y2 = Column(reference, 3);
        string half = Builder.Float32Scalar(0.5f);
        string centreX = Node("Mul", Node("Add", x1, x2), half);
        string centreY = Node("Mul", Node("Add", y1, y2), half);
        string distances = codes;
        if (normalizeBySize)
        {
            string width = Unsqueeze(Node("Sub", x2, x1), 1), height = Unsqueeze(Node("Sub", y2, y1), 1);
            distances = Node("Mul", codes, Node("Concat", new[] { width, height, width, height }, Attr.Int("axis", 1)));
        }
        var corners = new[]
        {
            Node("Sub", centreX, Column(distances, 0)), Node("Sub", centreY, Column(distances, 1)),
            Node("Add", centreX, Column(distances, 2)), Node("Add", centreY, Column(distances, 3)),
        }.Select(c => Unsqueeze(c, 1)).ToArray();
        return Node("Concat", corners, Attr.Int("axis", 1));
    }

    /// <summary><see cref="ResNeStBlocks.Detection.BoxOps.ClipBoxesToImage"/>: x to [0, width], y to [0, height].</summary>
    /// <param name="boxes">[..., 4] boxes.</param>
    /// <param name="limits">(width, height, width, height), float32 [4].</param>
    public string Clip(string boxes, string limits) => Node("Min", Node("Max", boxes, Builder.Float32Scalar(0f)), limits);

    /// <summary>Where width and height are both at least <paramref name="minSize"/> (<see cref="ResNeStBlocks.Detection.BoxOps.RemoveSmallBoxes"/>), bool [K].</summary>
    public string LargeEnough(string boxes, double minSize)
    {
        string min = Builder.Float32Scalar((float)minSize);
        string width = Node("Sub", Column(boxes, 2), Column(boxes, 0));
        string height = Node("Sub", Column(boxes, 3), Column(boxes, 1));
        return Node("And", Node("GreaterOrEqual", width, min), Node("GreaterOrEqual", height, min));
    }

    /// <summary>
    /// <see cref="ResNeStBlocks.Detection.BoxOps.BatchedNms(TorchSharp.torch.Tensor, TorchSharp.torch.Tensor, TorchSharp.torch.Tensor, double)"/>: every box shifted by <c>category * (max coordinate + 1)</c>,
    /// then one NonMaxSuppression (which, as torchvision, removes boxes whose IoU with a kept box is greater than the
    /// threshold). The boxes are clipped to the image, so they are not negative and a 0 joined to them leaves their maximum
    /// unchanged while keeping it defined when there are none.
    /// </summary>
    /// <returns>int64 indices of the kept boxes, by descending score.</returns>
    public string BatchedNms(string boxes, string scores, string categories, double iouThreshold)
    {
        string all = Node("Concat", new[] { Reshape(boxes, -1), Builder.Float32s(0f) }, Attr.Int("axis", 0));
        string step = Node("Add", Node("ReduceMax", new[] { all }, Attr.Int("keepdims", 0)), Builder.Float32Scalar(1f));
        string offsets = Node("Mul", Cast(categories, Float), step);
        string shifted = Node("Add", boxes, Unsqueeze(offsets, 1));
        string selected = Node("NonMaxSuppression",
            Unsqueeze(shifted, 0), Unsqueeze(scores, 0, 1), Builder.Int64s(long.MaxValue / 2), Builder.Float32s((float)iouThreshold));
        return Column(selected, 2);
    }

    /// <summary>The <paramref name="count"/> largest values of a [K] vector (fewer when K is smaller), sorted: (values, indices).</summary>
    public (string Values, string Indices) TopK(string values, long count)
    {
        string k = Node("Min", Dims(values, 0, 1), Builder.Int64s(count));
        var outputs = Builder.NodeOutputs("TopK", Path, new[] { values, k }, 2, Attr.Int("axis", 0), Attr.Int("largest", 1), Attr.Int("sorted", 1));
        return (outputs[0], outputs[1]);
    }

    /// <summary>
    /// One level's candidates in a one-stage detector (torchvision's <c>postprocess_detections</c> of RetinaNet and FCOS):
    /// the scores [L * classes] (location-major) above <paramref name="threshold"/>, the best <paramref name="count"/> of
    /// them, sorted.
    /// </summary>
    /// <returns>The scores, the locations (index / classes) and the labels (index mod classes), each [k].</returns>
    public (string Scores, string Locations, string Labels) LevelCandidates(string scores, long classes, double threshold, long count)
    {
        string candidates = Reshape(Node("NonZero", Node("Greater", scores, Builder.Float32Scalar((float)threshold))), -1);
        var (top, order) = TopK(Gather(scores, candidates), count);
        string indices = Gather(candidates, order);
        string classCount = Builder.Int64Scalar(classes);
        return (top, Node("Div", indices, classCount), Node("Mod", indices, classCount));
    }

    /// <summary>An int64 [K] vector holding <paramref name="value"/> once per element of <paramref name="like"/> ([K]).</summary>
    public string Filled(string like, long value) => Node("Expand", Builder.Int64Scalar(value), Dims(like, 0, 1));

    /// <summary>
    /// <see cref="ResNeStBlocks.Detection.MultiScaleRoIAlign.Pool"/> for one image: each level's scale inferred from its
    /// height over the resized image's (<see cref="ResNeStBlocks.Detection.MultiScaleRoIAlign.InferScale"/>: the nearest power
    /// of two), each box pooled by RoiAlign (<c>output_half_pixel</c>, torchvision's <c>aligned=False</c>) from the level the
    /// FPN rule picks (<see cref="ResNeStBlocks.Detection.LevelMapper"/>, its range from the first and last scales), the
    /// results put back in the boxes' order. The boxes are multiplied by the level's scale before RoiAlign (spatial scale 1):
    /// a power of two, so the product is the one RoiAlign would compute.
    /// </summary>
    /// <param name="levels">The pooled levels [1, C, h, w], finest first.</param>
    /// <param name="boxes">[P, 4] boxes in the padded image's pixels.</param>
    /// <param name="resizedSize">The resized image's (height, width), int64 [2].</param>
    /// <param name="mapper">The level rule's canonical scale, level and epsilon (its range is inferred here).</param>
    /// <param name="channels">C.</param>
    /// <param name="outputSize">The pooled side (7).</param>
    /// <param name="samplingRatio">Samples per bin side (2).</param>
    /// <returns>[P, C, outputSize, outputSize].</returns>
    public string MultiScaleRoiAlign(IReadOnlyList<string> levels, string boxes, string resizedSize,
        ResNeStBlocks.Detection.LevelMapper mapper, long channels, int outputSize, int samplingRatio)
    {
        string ln2 = Builder.Float32Scalar((float)System.Math.Log(2.0));
        string imageHeight = Cast(Node("Slice", resizedSize, Builder.Int64s(0), Builder.Int64s(1)), Double);
        // torchvision's _infer_scale: 2 ** round(log2(float32(feature / image))), half to even (ONNX Round).
        var exponents = levels.Select(level => Node("Round", Node("Div",
            Node("Log", Cast(Node("Div", Cast(Dims(level, 2, 3), Double), imageHeight), Float)), ln2))).ToArray();
        string low = Node("Neg", exponents[0]);
        string high = Node("Neg", exponents[^1]);
        string area = Node("Mul", Node("Sub", Column(boxes, 2), Column(boxes, 0)), Node("Sub", Column(boxes, 3), Column(boxes, 1)));
        // torchvision: floor(log2(sqrt(area) / s0) + lvl0 + eps), clamped; log2 as a natural logarithm over ln 2.
        string log2 = Node("Div", Node("Log", Node("Div", Node("Sqrt", area), Builder.Float32Scalar(mapper.CanonicalScale))), ln2);
        string target = Node("Floor", Node("Add", Node("Add", log2, Builder.Float32Scalar(mapper.CanonicalLevel)), Builder.Float32Scalar((float)mapper.Eps)));
        target = Node("Min", Node("Max", target, low), high);
        string level = Node("Sub", Cast(target, Int64), Cast(low, Int64));
        string shape = Node("Concat", new[] { Dims(boxes, 0, 1), Builder.Int64s(channels, outputSize, outputSize) }, Attr.Int("axis", 0));
        string result = Node("ConstantOfShape", new[] { shape }, FloatValue(0f));
        for (int i = 0; i < levels.Count; i++)
        {
            string chosen = Reshape(Node("NonZero", Node("Equal", level, Builder.Int64Scalar(i))), -1);
            string scale = Node("Pow", Builder.Float32Scalar(2f), exponents[i]);
            string rois = Node("Mul", Gather(boxes, chosen), scale);
            string pooled = Node("RoiAlign", new[] { levels[i], rois, Filled(chosen, 0) },
                Attr.String("coordinate_transformation_mode", "output_half_pixel"), Attr.String("mode", "avg"),
                Attr.Int("output_height", outputSize), Attr.Int("output_width", outputSize),
                Attr.Int("sampling_ratio", samplingRatio), Attr.Float("spatial_scale", 1f));
            result = Node("ScatterND", result, Unsqueeze(chosen, 1), pooled);
        }
        return result;
    }

    /// <summary>ConstantOfShape's value attribute: a one-element float32 tensor.</summary>
    private static AttributeProto FloatValue(float value) => new()
    {
        Name = "value",
        Type = AttributeProto.Types.AttributeType.Tensor,
        T = TensorEncoding.Float32("", new[] { value }, new long[] { 1 }),
    };

    /// <summary>
    /// The model's transform in the graph (<see cref="ResNeStBlocks.Detection.Models.Detector.Detect"/>'s batching of one
    /// image): normalised with the mean and standard deviation, resized bilinearly to torchvision's size (the scale in float32
    /// as <see cref="ResNeStBlocks.Detection.DetectionTransform.ResizedSize"/> computes it, each side floored in float64),
    /// zero-padded at the bottom and right to multiples of 32.
    /// </summary>
    /// <returns>The padded batch [1, 3, H', W'], the resized (height, width) int64 [2], the original (height, width) int64 [2].</returns>
    public (string Batch, string ResizedSize, string OriginalSize) Transform(string image, IReadOnlyList<double> mean, IReadOnlyList<double> std,
        double minSize, double maxSize, int sizeDivisible = 32)
    {
        string meanValue = Builder.Float32Tensor(mean.Select(v => (float)v).ToArray(), new long[] { 1, 3, 1, 1 });
        string stdValue = Builder.Float32Tensor(std.Select(v => (float)v).ToArray(), new long[] { 1, 3, 1, 1 });
        string normalised = Node("Div", Node("Sub", image, meanValue), stdValue);
        string original = Dims(image, 2, 4);
        string sides = Cast(original, Float);
        string shorter = Node("ReduceMin", new[] { sides }, Attr.Ints("axes", 0), Attr.Int("keepdims", 1));
        string longer = Node("ReduceMax", new[] { sides }, Attr.Ints("axes", 0), Attr.Int("keepdims", 1));
        string scale = Node("Min",
            Node("Mul", Node("Reciprocal", shorter), Builder.Float32Scalar((float)minSize)),
            Node("Mul", Node("Reciprocal", longer), Builder.Float32Scalar((float)maxSize)));
        string resized = Cast(Node("Floor", Node("Mul", Cast(original, Double), Cast(scale, Double))), Int64);
        string sizes = Node("Concat", new[] { Builder.Int64s(1, 3), resized }, Attr.Int("axis", 0));
        string image2 = Node("Resize", new[] { normalised, "", "", sizes },
            Attr.String("mode", "linear"), Attr.String("coordinate_transformation_mode", "pytorch_half_pixel"));
        string divisor = Builder.Int64s(sizeDivisible);
        string padded = Node("Mul", Node("Div", Node("Add", resized, Builder.Int64s(sizeDivisible - 1)), divisor), divisor);
        string pads = Node("Concat", new[] { Builder.Int64s(0, 0, 0, 0, 0, 0), Node("Sub", padded, resized) }, Attr.Int("axis", 0));
        string batch = Node("Pad", new[] { image2, pads }, Attr.String("mode", "constant"));
        return (batch, resized, original);
    }

    /// <summary>(width, height, width, height) of an int64 (height, width) pair, as float32 [4].</summary>
    public string BoxLimits(string size)
    {
        string sizes = Cast(size, Float);
        string height = Node("Slice", sizes, Builder.Int64s(0), Builder.Int64s(1));
        string width = Node("Slice", sizes, Builder.Int64s(1), Builder.Int64s(2));
        return Node("Concat", new[] { width, height, width, height }, Attr.Int("axis", 0));
    }

    /// <summary>
    /// <see cref="ResNeStBlocks.Detection.DetectionTransform.ResizeBoxes"/> from the resized image back to the original:
    /// x times <c>original width / resized width</c>, y likewise, each ratio a float32 division.
    /// </summary>
    public string ResizeBoxes(string boxes, string resizedSize, string originalSize)
    {
        string ratios = Node("Div", BoxLimits(originalSize), BoxLimits(resizedSize));
        return Node("Mul", boxes, ratios);
    }
}
