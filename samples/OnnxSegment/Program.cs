using System;
using ResNeStBlocks.Samples.OnnxSegment;

// Segments an image with an exported ONNX segmentation model and writes a colour overlay: ONNX Runtime only, no TorchSharp.
return SegmentApp.Execute(args, Console.Out, Console.Error);
