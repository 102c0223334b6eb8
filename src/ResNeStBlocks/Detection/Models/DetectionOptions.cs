using System.Collections.Generic;

namespace ResNeStBlocks.Detection.Models;

/// <summary>
/// torchvision's detector keyword arguments under their PascalCase names, each defaulting as torchvision 0.14 does.
/// A family reads the settings it has (Faster R-CNN: the transform's, the <c>Rpn*</c> and the <c>Box*</c> ones).
/// </summary>
public sealed record DetectionOptions
{
    /// <summary>Shorter image side after resizing (<c>min_size</c>).</summary>
    public int MinSize { get; init; } = 800;

    /// <summary>Longest image side after resizing (<c>max_size</c>).</summary>
    public int MaxSize { get; init; } = 1333;

    /// <summary>Per-channel mean subtracted from images in [0, 1] (<c>image_mean</c>; ImageNet's).</summary>
    public IReadOnlyList<double> ImageMean { get; init; } = new[] { 0.485, 0.456, 0.406 };

    /// <summary>Per-channel standard deviation images are divided by (<c>image_std</c>; ImageNet's).</summary>
    public IReadOnlyList<double> ImageStd { get; init; } = new[] { 0.229, 0.224, 0.225 };

    /// <summary>Anchors kept per level before NMS in training (<c>rpn_pre_nms_top_n_train</c>).</summary>
    public int RpnPreNmsTopNTrain { get; init; } = 2000;

    /// <summary>Anchors kept per level before NMS at test time (<c>rpn_pre_nms_top_n_test</c>).</summary>
    public int RpnPreNmsTopNTest { get; init; } = 1000;

    /// <summary>Proposals kept per image after NMS in training (<c>rpn_post_nms_top_n_train</c>).</summary>
    public int RpnPostNmsTopNTrain { get; init; } = 2000;

    /// <summary>Proposals kept per image after NMS at test time (<c>rpn_post_nms_top_n_test</c>).</summary>
    public int RpnPostNmsTopNTest { get; init; } = 1000;

    /// <summary>IoU above which NMS suppresses a proposal (<c>rpn_nms_thresh</c>).</summary>
    public double RpnNmsThresh { get; init; } = 0.7;

    /// <summary>IoU from which an anchor is foreground in training (<c>rpn_fg_iou_thresh</c>).</summary>
    public double RpnFgIouThresh { get; init; } = 0.7;

    /// <summary>IoU below which an anchor is background in training (<c>rpn_bg_iou_thresh</c>).</summary>
    public double RpnBgIouThresh { get; init; } = 0.3;

    /// <summary>Anchors sampled per image for the RPN losses (<c>rpn_batch_size_per_image</c>).</summary>
    public int RpnBatchSizePerImage { get; init; } = 256;

    /// <summary>Share of positives among the sampled anchors (<c>rpn_positive_fraction</c>).</summary>
    public double RpnPositiveFraction { get; init; } = 0.5;

    /// <summary>Lowest proposal probability kept (<c>rpn_score_thresh</c>).</summary>
    public double RpnScoreThresh { get; init; }

    /// <summary>Score a detection must exceed (<c>box_score_thresh</c>).</summary>
    public double BoxScoreThresh { get; init; } = 0.05;

    /// <summary>IoU above which per-class NMS suppresses a detection (<c>box_nms_thresh</c>).</summary>
    public double BoxNmsThresh { get; init; } = 0.5;

    /// <summary>Detections kept per image (<c>box_detections_per_img</c>).</summary>
    public int BoxDetectionsPerImg { get; init; } = 100;

    /// <summary>IoU from which a proposal is foreground in training (<c>box_fg_iou_thresh</c>).</summary>
    public double BoxFgIouThresh { get; init; } = 0.5;

    /// <summary>IoU below which a proposal is background in training (<c>box_bg_iou_thresh</c>).</summary>
    public double BoxBgIouThresh { get; init; } = 0.5;

    /// <summary>Proposals sampled per image for the box losses (<c>box_batch_size_per_image</c>).</summary>
    public int BoxBatchSizePerImage { get; init; } = 512;

    /// <summary>Share of positives among the sampled proposals (<c>box_positive_fraction</c>).</summary>
    public double BoxPositiveFraction { get; init; } = 0.25;

    /// <summary>Weights of the box coder of the second stage (<c>bbox_reg_weights</c>); null: 10, 10, 5, 5.</summary>
    public IReadOnlyList<double>? BboxRegWeights { get; init; }

    /// <summary>
    /// Score a one-stage detection must exceed (<c>score_thresh</c>); null: the family's torchvision default (RetinaNet
    /// 0.05, FCOS 0.2).
    /// </summary>
    public double? ScoreThresh { get; init; }

    /// <summary>IoU above which a one-stage detector's per-class NMS suppresses (<c>nms_thresh</c>); null: RetinaNet 0.5, FCOS 0.6.</summary>
    public double? NmsThresh { get; init; }

    /// <summary>Detections a one-stage detector keeps per image (<c>detections_per_img</c>); null: RetinaNet 300, FCOS 100.</summary>
    public int? DetectionsPerImg { get; init; }

    /// <summary>Candidates a one-stage detector keeps per level before NMS (<c>topk_candidates</c>).</summary>
    public int TopkCandidates { get; init; } = 1000;

    /// <summary>IoU from which an anchor is foreground in RetinaNet's training (<c>fg_iou_thresh</c>).</summary>
    public double FgIouThresh { get; init; } = 0.5;

    /// <summary>IoU below which an anchor is background in RetinaNet's training (<c>bg_iou_thresh</c>).</summary>
    public double BgIouThresh { get; init; } = 0.4;

    /// <summary>Radius, in strides, around a box's centre where FCOS's locations are positive (<c>center_sampling_radius</c>).</summary>
    public double CenterSamplingRadius { get; init; } = 1.5;
}
