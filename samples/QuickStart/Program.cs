using System;
using ResNeStBlocks.Blocks;
using ResNeStBlocks.Layers;
using ResNeStBlocks.Onnx;
using ResNeStBlocks.Training;
using TorchSharp;
using static TorchSharp.torch;

manual_seed(0);

// 1. Compose: TorchSharp layers around the library's blocks (each block has timm's keys and math).
using var net = nn.Sequential(
    ("stem", nn.Sequential(nn.Conv2d(3, 32, 3, stride: 2, padding: 1, bias: false), nn.BatchNorm2d(32), nn.ReLU())),
    ("block", new ResNeStBottleneck(32, 8, new ResNeStSpec(Radix: 2))),   // Split-Attention bottleneck, 32 -> 8 x 4 channels
    ("se", new SqueezeExcite(32)),
    ("pool", nn.AdaptiveAvgPool2d(1)), ("flatten", nn.Flatten()), ("head", nn.Linear(32, 4)));

// 2. Train a few steps on one random batch (4 classes) with the library's AdamW: no weight decay on norms and biases.
using var images = randn(16, 3, 64, 64);
using var labels = randint(0, 4, new long[] { 16 });
using var optimizer = WeightDecayGroups.Split(net).CreateAdamW(learningRate: 3e-3, weightDecay: 0.05);
net.train();
for (int step = 1; step <= 30; step++)
{
    using var scope = NewDisposeScope();
    var loss = nn.functional.cross_entropy(net.call(images), labels);
    net.zero_grad();
    loss.backward();
    optimizer.step();
    if (step == 1 || step % 10 == 0)
        Console.WriteLine($"step {step}: loss {loss.item<float>():0.000}");
}

// 3. Export the eval-mode network to ONNX (BatchNorm folded, dynamic batch and image size); ONNX Runtime runs it.
net.eval();
OnnxExporter.Export(net, "quickstart.onnx", new OnnxExportOptions { DynamicSpatialSize = true });
Console.WriteLine("wrote quickstart.onnx");
