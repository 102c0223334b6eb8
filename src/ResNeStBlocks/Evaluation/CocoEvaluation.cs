using System;
using System.Collections.Generic;

namespace ResNeStBlocks.Evaluation;

/// <summary>
/// The outcome of <see cref="CocoEvaluator.Evaluate"/>: pycocotools' <c>eval['precision']</c> and <c>eval['recall']</c>,
/// its 12-number summary, and each category's AP.
/// </summary>
public sealed class CocoEvaluation
{
    internal CocoEvaluation(CocoIouType iouType, long[] imageIds, long[] categoryIds, double[,,,,] precision, double[,,,] recall)
    {
        IouType = iouType;
        ImageIds = Array.AsReadOnly(imageIds);
        CategoryIds = Array.AsReadOnly(categoryIds);
        Precision = precision;
        Recall = recall;
        Summary = CocoSummary.From(precision, recall);
        var perCategory = new Dictionary<long, double>();
        for (int k = 0; k < categoryIds.Length; k++)
            perCategory[categoryIds[k]] = CocoSummary.Precision(precision, -1, 0, CocoParameters.MaxDetections.Count - 1, k);
        CategoryAveragePrecision = new System.Collections.ObjectModel.ReadOnlyDictionary<long, double>(perCategory);
    }

    /// <summary>What was overlapped: boxes or masks.</summary>
    public CocoIouType IouType { get; }

    /// <summary>The evaluated images' ids, ascending.</summary>
    public IReadOnlyList<long> ImageIds { get; }

    /// <summary>The categories' ids, ascending: the K axis of <see cref="Precision"/> and <see cref="Recall"/>.</summary>
    public IReadOnlyList<long> CategoryIds { get; }

    /// <summary>
    /// Precision <c>[T, R, K, A, M]</c>: IoU threshold (<see cref="CocoParameters.IouThresholds"/>), recall threshold
    /// (<see cref="CocoParameters.RecallThresholds"/>), category, area range (<see cref="CocoParameters.AreaRanges"/>),
    /// max-detections (<see cref="CocoParameters.MaxDetections"/>); -1 where a category has no unignored ground truth.
    /// </summary>
    public double[,,,,] Precision { get; }

    /// <summary>The final recall <c>[T, K, A, M]</c>; -1 where a category has no unignored ground truth.</summary>
    public double[,,,] Recall { get; }

    /// <summary>The 12 summary numbers.</summary>
    public CocoSummary Summary { get; }

    /// <summary>
    /// Each category's AP (IoU 0.50:0.95, all areas, 100 detections: the mean of its precision entries above -1, as
    /// Detectron2 reports per class), or -1 for a category without ground truth.
    /// </summary>
    public IReadOnlyDictionary<long, double> CategoryAveragePrecision { get; }
}
