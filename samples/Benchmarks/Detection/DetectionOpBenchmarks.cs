using BenchmarkDotNet.Attributes;
using ResNeStBlocks.Detection;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNeStBlocks.Benchmarks.Detection;

/// <summary>
/// The detection operations at Faster R-CNN's sizes against TorchSharp's own: NMS of 5,000 scored boxes (an RPN level's
/// pre-NMS count on a large image) at IoU 0.7, against TorchVision's <c>ops.nms</c>; RoIAlign of 1,000 proposals to 7 x 7
/// (sampling ratio 2 and adaptive) from a stride-4 map of an 800 x 1088 batch (256 x 200 x 272). TorchSharp has no
/// <c>roi_align</c>; <c>pytorch_detection_reference.py</c> times torchvision's compiled kernels on the same inputs.
/// </summary>
[Config(typeof(BlockBenchmarkConfig))]
public class DetectionOpBenchmarks
{
    private Tensor boxes = null!, scores = null!, features = null!, rois = null!;

    [GlobalSetup]
    public void Setup()
    {
        manual_seed(0);
        (boxes, scores) = RandomBoxes(5_000, 800, 1088);
        features = randn(1, 256, 200, 272);
        using var proposals = RandomBoxes(1_000, 800, 1088).Boxes;
        using var batchIndex = zeros(1_000, 1);
        rois = cat(new[] { batchIndex, proposals }, 1);
    }

    /// <summary>Boxes with corners uniform in the image and sides up to a quarter of it, scores uniform.</summary>
    public static (Tensor Boxes, Tensor Scores) RandomBoxes(long count, double height, double width)
    {
        using var scope = NewDisposeScope();
        using Scalar quarterWidth = width / 4, quarterHeight = height / 4, fullWidth = width, fullHeight = height, one = 1.0;
        var x1 = rand(count).mul(fullWidth);
        var y1 = rand(count).mul(fullHeight);
        var x2 = x1.add(rand(count).mul(quarterWidth), one);
        var y2 = y1.add(rand(count).mul(quarterHeight), one);
        var result = (stack(new[] { x1, y1, x2, y2 }, 1), rand(count));
        return (result.Item1.MoveToOuterDisposeScope(), result.Item2.MoveToOuterDisposeScope());
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        boxes.Dispose();
        scores.Dispose();
        features.Dispose();
        rois.Dispose();
    }

    [Benchmark(Baseline = true, Description = "TorchSharp torchvision.ops.nms")]
    public void TorchSharpNms() => torchvision.ops.nms(boxes, scores, 0.7).Dispose();

    [Benchmark(Description = "BoxOps.Nms")]
    public void LibraryNms() => BoxOps.Nms(boxes, scores, 0.7).Dispose();

    [Benchmark(Description = "RoiOps.RoiAlign sampling 2")]
    public void RoiAlignFixed()
    {
        using var _ = no_grad();
        RoiOps.RoiAlign(features, rois, 7, 7, 0.25, 2).Dispose();
    }

    [Benchmark(Description = "RoiOps.RoiAlign adaptive")]
    public void RoiAlignAdaptive()
    {
        using var _ = no_grad();
        RoiOps.RoiAlign(features, rois, 7, 7, 0.25, 0).Dispose();
    }
}
