using System;
using System.IO;
using System.Linq;
using ResNeStBlocks.Samples.OnnxClassify;

// Classifies an image with an exported ONNX model: ONNX Runtime only, no TorchSharp.
// Usage: OnnxClassify MODEL.onnx IMAGE [TOP]
if (args.Length is < 2 or > 3)
{
    Console.Error.WriteLine("usage: OnnxClassify MODEL.onnx IMAGE [TOP]");
    return 2;
}
try
{
    using var classifier = new OnnxImageClassifier(args[0]);
    int top = args.Length == 3 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 5;
    string namesPath = Path.Combine(AppContext.BaseDirectory, "data", "imagenet_classes.txt");
    var names = File.ReadAllLines(namesPath);
    foreach (var p in classifier.Classify(args[1], top))
        Console.WriteLine($"{p.Probability,8:P2}  {(p.ClassIndex < names.Length ? names[p.ClassIndex] : $"class {p.ClassIndex}")}");
    return 0;
}
catch (Exception e) when (e is FileNotFoundException or InvalidDataException or System.Collections.Generic.KeyNotFoundException
                             or Microsoft.ML.OnnxRuntime.OnnxRuntimeException or FormatException)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 2;
}
