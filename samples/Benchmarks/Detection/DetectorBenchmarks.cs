using BenchmarkDotNet.Attributes;
using ResNeStBlocks.Detection.Models;
using static TorchSharp.torch;

namespace ResNeStBlocks.Benchmarks.Detection;

/// <summary>
/// A detector's eval-mode <c>Detect</c> on one 800 x 1066 image (COCO's usual size: the transform keeps it, the batch pads
/// to 800 x 1088), float32, torchvision's initialisation with seed 0. <c>pytorch_detection_reference.py</c> times the
/// same workload in PyTorch eager.
/// </summary>
[Config(typeof(ModelBenchmarkConfig))]
public class DetectorBenchmarks
{
    private Detector model = null!;
    private Tensor image = null!;

    [Params("fasterrcnn_resnet50_fpn")]
    public string Model { get; set; } = "fasterrcnn_resnet50_fpn";

    [GlobalSetup]
    public void Setup()
    {
        manual_seed(0);
        model = DetectionModels.Create(Model);
        model.eval();
        image = rand(3, 800, 1066);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        model.Dispose();
        image.Dispose();
    }

    [Benchmark(Description = "Detect 800x1066")]
    public void Detect()
    {
        foreach (var found in model.Detect(new[] { image }))
            found.Dispose();
    }
}
