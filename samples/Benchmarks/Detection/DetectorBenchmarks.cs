using System;
using System.Linq;
using BenchmarkDotNet.Attributes;
using TorchSharp;
using ResNeStBlocks.Detection.Models;
using static TorchSharp.torch;

namespace ResNeStBlocks.Benchmarks.Detection;

/// <summary>
/// A detector's eval-mode <c>Detect</c> on one 800 x 1066 image (COCO's usual size: the transform keeps it, the batch pads
/// to 800 x 1088), and one training step on it (<c>Losses</c> on two boxes, with masks for Mask R-CNN, backward, SGD
/// with learning rate 0.01), float32, torchvision's initialisation with seed 0. <c>pytorch_detection_reference.py</c>
/// times the same workloads in PyTorch eager.
/// </summary>
[Config(typeof(ModelBenchmarkConfig))]
public class DetectorBenchmarks
{
    private Detector model = null!;
    private Tensor image = null!;
    private DetectionTarget target = null!;
    private optim.Optimizer optimizer = null!;

    [Params("fasterrcnn_resnet50_fpn", "maskrcnn_resnet50_fpn")]
    public string Model { get; set; } = "fasterrcnn_resnet50_fpn";

    [GlobalSetup]
    public void Setup()
    {
        manual_seed(0);
        model = DetectionModels.Create(Model);
        model.eval();
        image = rand(3, 800, 1066);
        var boxes = tensor(new float[] { 100, 120, 400, 500, 500, 300, 900, 700 }, new long[] { 2, 4 });
        var masks = zeros(new long[] { 2, 800, 1066 }, ScalarType.Byte);
        using (Scalar one = 1)
        {
            masks[0, 120..500, 100..400].fill_(one);
            masks[1, 300..700, 500..900].fill_(one);
        }
        target = new DetectionTarget(boxes, tensor(new long[] { 1, 2 }), Model.StartsWith("maskrcnn", StringComparison.Ordinal) ? masks : null);
        optimizer = optim.SGD(model.parameters().Where(p => p.requires_grad), 0.01);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        model.Dispose();
        image.Dispose();
        target.Boxes.Dispose();
        target.Labels.Dispose();
        target.Masks?.Dispose();
        optimizer.Dispose();
    }

    [Benchmark(Description = "Detect 800x1066")]
    public void Detect()
    {
        foreach (var found in model.Detect(new[] { image }))
            found.Dispose();
    }

    [Benchmark(Description = "train step 800x1066")]
    public void TrainStep()
    {
        using var scope = NewDisposeScope();
        var losses = model.Losses(new[] { image }, new[] { target });
        var total = stack(losses.Values.ToArray()).sum();
        optimizer.zero_grad();
        total.backward();
        optimizer.step();
    }
}
