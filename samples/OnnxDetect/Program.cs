using System;
using ResNeStBlocks.Samples.OnnxDetect;

// Detects objects in an image with an exported ONNX detector and draws them: ONNX Runtime only, no TorchSharp.
return DetectApp.Execute(args, Console.Out, Console.Error);
