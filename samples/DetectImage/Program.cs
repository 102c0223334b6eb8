using System;
using System.IO;
using System.Linq;
using ResNeStBlocks.Detection.Models;
using ResNeStBlocks.Hub;
using StbImageSharp;
using StbImageWriteSharp;
using TorchSharp;
using static TorchSharp.torch;

// Usage: DetectImage IMAGE [OUT.png]: COCO objects found by Faster R-CNN, their boxes drawn in red.
string input = args.Length > 0 ? args[0] : throw new ArgumentException("Usage: DetectImage IMAGE [OUT.png]");
string output = args.Length > 1 ? args[1] : "detections.png";

// torchvision's COCO weights, downloaded once into torch.hub's folder (shared with Python).
using var model = DetectionModels.CreatePretrained("fasterrcnn_resnet50_fpn");
var categories = TorchvisionWeights.CocoCategories;

// The model takes RGB [3, H, W] in [0, 1] of any size and resizes it itself.
var picture = ImageResult.FromMemory(File.ReadAllBytes(input), StbImageSharp.ColorComponents.RedGreenBlue);
using var pixels = tensor(picture.Data, new long[] { picture.Height, picture.Width, 3 });
using Scalar full = 255f;
using var image = pixels.permute(2, 0, 1).to(ScalarType.Float32).div(full);

using var found = model.Detect(new[] { image })[0];
var boxes = found.Boxes.data<float>().ToArray();
var scores = found.Scores.data<float>().ToArray();
var labels = found.Labels.data<long>().ToArray();
for (int i = 0; i < scores.Length && scores[i] >= 0.5f; i++)
{
    int x1 = (int)boxes[4 * i], y1 = (int)boxes[4 * i + 1];
    int x2 = Math.Min((int)boxes[4 * i + 2], picture.Width - 1), y2 = Math.Min((int)boxes[4 * i + 3], picture.Height - 1);
    Console.WriteLine($"{categories[(int)labels[i]]} {scores[i]:0.00} at ({x1}, {y1}) - ({x2}, {y2})");
    for (int x = x1; x <= x2; x++)
        foreach (int y in new[] { y1, y2 })
            Paint(x, y);
    for (int y = y1; y <= y2; y++)
        foreach (int x in new[] { x1, x2 })
            Paint(x, y);
}
using (var file = File.Create(output))
    new ImageWriter().WritePng(picture.Data, picture.Width, picture.Height, StbImageWriteSharp.ColorComponents.RedGreenBlue, file);
Console.WriteLine($"wrote {output}");

void Paint(int x, int y)
{
    int at = 3 * (y * picture.Width + x);
    (picture.Data[at], picture.Data[at + 1], picture.Data[at + 2]) = ((byte)255, (byte)0, (byte)0);
}
