using System;
using System.Collections.Generic;
using System.Linq;
using ResNeStBlocks.Detection.Models;
using ResNeStBlocks.Evaluation;
using static TorchSharp.torch;

namespace ResNeStBlocks.Samples.Detect;

/// <summary>One image's detections on the host: boxes (x1, y1, x2, y2), scores and labels, best first.</summary>
/// <param name="Boxes">[N, 4] corners in the image's pixels.</param>
/// <param name="Scores">[N] scores.</param>
/// <param name="Labels">[N] labels.</param>
public sealed record HostDetections(float[,] Boxes, float[] Scores, long[] Labels)
{
    /// <summary>Copies a model's detections to the host.</summary>
    /// <param name="found">The detections (left to the caller to dispose).</param>
    /// <returns>The copy.</returns>
    public static HostDetections From(Detections found)
    {
        int n = (int)found.Scores.shape[0];
        // TorchSharp's data<T>().ToArray() fails on an empty tensor.
        if (n == 0)
            return new HostDetections(new float[0, 4], Array.Empty<float>(), Array.Empty<long>());
        var flat = found.Boxes.cpu().to(ScalarType.Float32).data<float>().ToArray();
        var boxes = new float[n, 4];
        Buffer.BlockCopy(flat, 0, boxes, 0, flat.Length * sizeof(float));
        return new HostDetections(boxes, found.Scores.cpu().to(ScalarType.Float32).data<float>().ToArray(), found.Labels.cpu().data<long>().ToArray());
    }
}

/// <summary>Runs a detector over the validation images and scores it with <see cref="CocoEvaluator"/> (boxes).</summary>
public static class DetectEvaluation
{
    /// <summary>Detects on every validation image (one at a time, in eval mode) and evaluates.</summary>
    /// <param name="model">The detector.</param>
    /// <param name="data">The data.</param>
    /// <param name="device">Where the model is.</param>
    /// <returns>The evaluation and each image's detections.</returns>
    public static (CocoEvaluation Evaluation, IReadOnlyList<HostDetections> Found) Run(Detector model, DetectionData data, Device device)
    {
        var results = new List<CocoDetection>();
        var found = new List<HostDetections>();
        foreach (var item in data.Val)
        {
            using var scope = NewDisposeScope();
            var image = DetectionData.LoadImage(item.ImagePath).to(device);
            var detections = model.Detect(new[] { image })[0];
            var host = HostDetections.From(detections);
            found.Add(host);
            for (int k = 0; k < host.Scores.Length; k++)
            {
                float x1 = host.Boxes[k, 0], y1 = host.Boxes[k, 1];
                results.Add(new CocoDetection(item.ImageId, data.CategoryId((int)host.Labels[k]), host.Scores[k],
                    new CocoBox(x1, y1, host.Boxes[k, 2] - x1, host.Boxes[k, 3] - y1)));
            }
        }
        return (CocoEvaluator.Evaluate(data.ValGroundTruth, results, CocoIouType.Box), found);
    }

    /// <summary>
    /// Each class's precision-recall curve at IoU 0.5 (all areas, 100 detections): pycocotools' interpolated precision at
    /// its 101 recall thresholds, up to the last recall reached (-1 entries, classes without ground truth, left out).
    /// </summary>
    /// <param name="evaluation">The evaluation.</param>
    /// <param name="data">The data (for class names).</param>
    /// <returns>Per class: name, recall thresholds and precisions.</returns>
    public static IReadOnlyList<(string Name, double[] Recall, double[] Precision)> PrecisionRecall(CocoEvaluation evaluation, DetectionData data)
    {
        var curves = new List<(string, double[], double[])>();
        var recalls = CocoParameters.RecallThresholds;
        int maxDets = evaluation.Precision.GetLength(4) - 1;
        for (int k = 0; k < evaluation.CategoryIds.Count; k++)
        {
            long category = evaluation.CategoryIds[k];
            int label = Enumerable.Range(1, data.Classes.Count - 1).FirstOrDefault(l => data.CategoryId(l) == category);
            if (label == 0 || evaluation.Precision[0, 0, k, 0, maxDets] < 0)
                continue;
            var r = new List<double>();
            var p = new List<double>();
            for (int i = 0; i < recalls.Count; i++)
            {
                double precision = evaluation.Precision[0, i, k, 0, maxDets];
                if (precision <= 0 && i > 0)
                    break;
                r.Add(recalls[i]);
                p.Add(precision);
            }
            curves.Add((data.Classes.Names[label], r.ToArray(), p.ToArray()));
        }
        return curves;
    }
}
