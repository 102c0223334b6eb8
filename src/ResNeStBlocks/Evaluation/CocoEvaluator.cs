using System;
using System.Collections.Generic;
using System.Linq;

namespace ResNeStBlocks.Evaluation;

/// <summary>
/// COCO detection evaluation equal to pycocotools' <c>COCOeval</c> (<c>evaluate</c>, <c>accumulate</c>,
/// <c>summarize</c>) with its default parameters, for boxes and masks. Pure managed code on plain arrays; no tensors.
/// </summary>
/// <example>
/// <code>
/// var groundTruth = CocoDataset.Load("instances_val2017.json");
/// var results = CocoResults.Load("detections.json");
/// var evaluation = CocoEvaluator.Evaluate(groundTruth, results, CocoIouType.Box);
/// Console.WriteLine(evaluation.Summary);   // the 12 lines pycocotools prints
/// </code>
/// </example>
public static class CocoEvaluator
{
    /// <summary>
    /// Evaluates detections against the ground truth over all of its images and categories. Results of categories that
    /// the ground truth does not list are left out (as pycocotools does); results on images it does not list are refused.
    /// </summary>
    /// <exception cref="ArgumentException">A detection lies on an unlisted image, has a non-finite score, or (masks) a
    /// ground truth has no segmentation.</exception>
    public static CocoEvaluation Evaluate(CocoDataset groundTruth, IReadOnlyList<CocoDetection> detections, CocoIouType iouType)
    {
        ArgumentNullException.ThrowIfNull(groundTruth);
        ArgumentNullException.ThrowIfNull(detections);
        if (iouType is not (CocoIouType.Box or CocoIouType.Mask))
            throw new ArgumentOutOfRangeException(nameof(iouType), iouType, $"iouType must be Box or Mask, got {iouType}.");

        long[] imageIds = groundTruth.Images.Select(i => i.Id).Distinct().OrderBy(i => i).ToArray();
        long[] categoryIds = groundTruth.Categories.Select(c => c.Id).Distinct().OrderBy(c => c).ToArray();
        var imageIndex = new Dictionary<long, int>();
        for (int i = 0; i < imageIds.Length; i++)
            imageIndex[imageIds[i]] = i;
        var categoryIndex = new Dictionary<long, int>();
        for (int k = 0; k < categoryIds.Length; k++)
            categoryIndex[categoryIds[k]] = k;

        for (int j = 0; j < detections.Count; j++)
        {
            var d = detections[j] ?? throw new ArgumentException($"detections[{j}] is null.", nameof(detections));
            if (!imageIndex.ContainsKey(d.ImageId))
                throw new ArgumentException($"detections[{j}] is on image {d.ImageId}, which the ground truth's images do not list; results must be on the ground truth's images (pycocotools refuses them too).", nameof(detections));
            if (!double.IsFinite(d.Score))
                throw new ArgumentException($"detections[{j}] has score {d.Score}; scores must be finite numbers.", nameof(detections));
            if (d.Box is null && d.Mask is null)
                throw new ArgumentException($"detections[{j}] has neither a box nor a mask; a result needs one of them.", nameof(detections));
        }

        var gtGroups = Group(groundTruth.Annotations, a => (a.ImageId, a.CategoryId), imageIndex, categoryIndex);
        var dtGroups = Group(detections, d => (d.ImageId, d.CategoryId), imageIndex, categoryIndex);
        var areaRanges = CocoParameters.AreaRanges;
        int maxDetections = CocoParameters.MaxDetections[^1];
        var evaluations = new ImageEvaluation?[categoryIds.Length, areaRanges.Count, imageIds.Length];
        for (int k = 0; k < categoryIds.Length; k++)
            for (int i = 0; i < imageIds.Length; i++)
            {
                var gts = gtGroups.TryGetValue((i, k), out var g) ? g : new List<CocoAnnotation>();
                var dts = dtGroups.TryGetValue((i, k), out var dd) ? dd : new List<CocoDetection>();
                if (gts.Count == 0 && dts.Count == 0)
                    continue;
                var image = groundTruth.FindImage(imageIds[i])!;
                double[] scores = dts.Select(d => d.Score).ToArray();
                // numpy's mergesort of -score: stable, equal scores keep result-file order.
                int[] order = Enumerable.Range(0, dts.Count).OrderByDescending(j => scores[j]).Take(maxDetections).ToArray();
                double[,]? ious = gts.Count == 0 || dts.Count == 0 ? null : Ious(gts, order.Select(j => dts[j]).ToArray(), image, iouType);
                double[] dtAreas = dts.Select(d => d.Area).ToArray();
                long[] gtIds = gts.Select(a => a.Id).ToArray();
                double[] gtAreas = gts.Select(a => a.Area).ToArray();
                bool[] gtCrowd = gts.Select(a => a.IsCrowd).ToArray();
                for (int a = 0; a < areaRanges.Count; a++)
                    evaluations[k, a, i] = CocoMatching.Evaluate(ious, order, scores, dtAreas, gtIds, gtAreas, gtCrowd, areaRanges[a].Min, areaRanges[a].Max, maxDetections);
            }
        var (precision, recall) = CocoAccumulation.Accumulate(evaluations);
        return new CocoEvaluation(iouType, imageIds, categoryIds, precision, recall);
    }

    private static Dictionary<(int Image, int Category), List<T>> Group<T>(
        IEnumerable<T> items, Func<T, (long Image, long Category)> key, Dictionary<long, int> imageIndex, Dictionary<long, int> categoryIndex)
    {
        var groups = new Dictionary<(int, int), List<T>>();
        foreach (var item in items)
        {
            var (image, category) = key(item);
            if (!imageIndex.TryGetValue(image, out int i) || !categoryIndex.TryGetValue(category, out int k))
                continue;
            if (!groups.TryGetValue((i, k), out var list))
                groups[(i, k)] = list = new List<T>();
            list.Add(item);
        }
        return groups;
    }

    private static double[,] Ious(List<CocoAnnotation> gts, CocoDetection[] dts, CocoImage image, CocoIouType iouType)
    {
        bool[] crowd = gts.Select(a => a.IsCrowd).ToArray();
        if (iouType == CocoIouType.Box)
            return CocoIou.Boxes(dts.Select(d => d.Box ?? d.Mask!.ToBox()).ToArray(), gts.Select(a => a.Box).ToArray(), crowd);
        var gtMasks = gts.Select(a => (a.Segmentation ?? throw new ArgumentException(
            $"Annotation {a.Id} has no segmentation; mask evaluation needs one on every ground truth.", nameof(gts))).ToMask(image.Height, image.Width)).ToArray();
        var dtMasks = dts.Select(d => d.Mask ?? RunLengthMask.FromBox(d.Box!.Value, image.Height, image.Width)).ToArray();
        return CocoIou.Masks(dtMasks, gtMasks, crowd);
    }
}
