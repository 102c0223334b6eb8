using System;
using System.Collections.Generic;
using System.Linq;
using ResNeStBlocks.Dense;
using static TorchSharp.torch;

namespace ResNeStBlocks.Detection;

/// <summary>
/// RoIAlign over a feature pyramid (torchvision's <c>MultiScaleRoIAlign</c>, the box and mask pooler of Faster and Mask
/// R-CNN): each box is pooled from the level that <see cref="LevelMapper"/> picks for its size, with that level's scale,
/// <c>aligned=False</c>. The result lists the boxes in input order (image 0's first).
/// </summary>
/// <remarks>
/// A level's scale is inferred from its height and the largest image height as <c>2^round(log2(feature / image))</c>
/// (torchvision's <c>_infer_scale</c>, in float32) and the level range from the first and last scales. torchvision keeps
/// the scales of its first call for every later call; this module infers them on every call, which gives the same values
/// whenever the backbone's strides are fixed. All levels are pooled by one kernel call, with no loop over levels.
/// It has no parameters or buffers (torchvision's module adds no state-dict key), so it is a plain object, not a module.
/// </remarks>
public sealed class MultiScaleRoIAlign
{
    private readonly string[] featureNames;

    /// <summary>Creates the pooler.</summary>
    /// <param name="featureNames">The names of the pyramid levels to pool from, finest first (e.g. "0".."3").</param>
    /// <param name="outputHeight">Bins per box, vertically (7 for box heads, 14 for mask heads).</param>
    /// <param name="outputWidth">Bins per box, horizontally.</param>
    /// <param name="samplingRatio">Sampling points per bin along each axis (2 in torchvision's detectors); 0 or less:
    /// adaptive, per box.</param>
    /// <param name="canonicalScale">The level mapper's canonical box side (224).</param>
    /// <param name="canonicalLevel">The level mapper's canonical level (4).</param>
    public MultiScaleRoIAlign(IReadOnlyList<string> featureNames, int outputHeight, int outputWidth, int samplingRatio,
        int canonicalScale = 224, int canonicalLevel = 4)
    {
        ArgumentNullException.ThrowIfNull(featureNames);
        if (featureNames.Count == 0)
            throw new ArgumentException("featureNames must name at least one feature map.", nameof(featureNames));
        Guard.Positive((outputHeight, nameof(outputHeight)), (outputWidth, nameof(outputWidth)), (canonicalScale, nameof(canonicalScale)));
        this.featureNames = featureNames.ToArray();
        OutputHeight = outputHeight;
        OutputWidth = outputWidth;
        SamplingRatio = samplingRatio;
        CanonicalScale = canonicalScale;
        CanonicalLevel = canonicalLevel;
    }

    /// <summary>The names of the levels pooled from.</summary>
    public IReadOnlyList<string> FeatureNames => featureNames;

    /// <summary>Bins per box, vertically.</summary>
    public int OutputHeight { get; }

    /// <summary>Bins per box, horizontally.</summary>
    public int OutputWidth { get; }

    /// <summary>Sampling points per bin along each axis (0 or less: adaptive).</summary>
    public int SamplingRatio { get; }

    /// <summary>The level mapper's canonical box side.</summary>
    public int CanonicalScale { get; }

    /// <summary>The level mapper's canonical level.</summary>
    public int CanonicalLevel { get; }

    /// <summary>Pools every box from its level.</summary>
    /// <param name="features">The pyramid; the levels named in <see cref="FeatureNames"/> are read, in the pyramid's order.</param>
    /// <param name="boxes">One [N_i, 4] tensor of boxes (x1, y1, x2, y2, image pixels) per image.</param>
    /// <param name="imageSizes">Each image's (height, width) before padding; the largest sets the scales.</param>
    /// <returns>[sum N_i, C, OutputHeight, OutputWidth].</returns>
    public Tensor Pool(FeatureMaps features, IReadOnlyList<Tensor> boxes, IReadOnlyList<(long Height, long Width)> imageSizes)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(boxes);
        ArgumentNullException.ThrowIfNull(imageSizes);
        if (imageSizes.Count == 0)
            throw new ArgumentException("imageSizes must hold each image's (height, width), got none.", nameof(imageSizes));
        var levels = Select(features);
        if (boxes.Count != levels[0].size(0))
            throw new ArgumentException($"Got {boxes.Count} box tensors for a batch of {levels[0].size(0)} images; give one per image.", nameof(boxes));
        for (int i = 0; i < levels.Count; i++)
        {
            RoiOps.CheckFeatures(levels[i], nameof(features));
            if (levels[i].dtype != levels[0].dtype || levels[i].size(1) != levels[0].size(1) || levels[i].size(0) != levels[0].size(0))
                throw new ArgumentException("Every pooled level must have the batch size, channels and dtype of the first.", nameof(features));
            BoxChecks.SameDevice(levels[i], nameof(features), levels[0], "the first level");
        }
        long maxHeight = imageSizes.Max(s => s.Height);
        var scales = levels.Select(l => InferScale(l.size(2), maxHeight)).ToArray();
        using var scope = NewDisposeScope();
        var rois = RoiOps.ToRoiFormat(boxes);
        Tensor? levelOfRoi = null;
        if (levels.Count > 1)
        {
            var mapper = Mapper(scales);
            levelOfRoi = mapper.Map(boxes);
        }
        return RoiAlignKernel.Pool(levels, rois, levelOfRoi, scales, OutputHeight, OutputWidth, SamplingRatio, aligned: false)
            .MoveToOuterDisposeScope();
    }

    /// <summary>The level mapper for levels of the given scales: kMin and kMax are <c>-log2</c> of the first and last, truncated.</summary>
    /// <param name="scales">Each level's scale (feature pixels per image pixel), finest first.</param>
    /// <returns>The mapper with this pooler's canonical scale and level.</returns>
    public LevelMapper Mapper(IReadOnlyList<double> scales)
    {
        ArgumentNullException.ThrowIfNull(scales);
        if (scales.Count == 0)
            throw new ArgumentException("scales must hold one scale per level.", nameof(scales));
        int kMin = (int)-MathF.Log2((float)scales[0]);
        int kMax = (int)-MathF.Log2((float)scales[^1]);
        return new LevelMapper(kMin, kMax, CanonicalScale, CanonicalLevel);
    }

    /// <summary>
    /// torchvision's <c>_infer_scale</c>: the power of two nearest to <c>feature / image</c> in log2, computed in float32
    /// with round-half-to-even, from the heights.
    /// </summary>
    /// <param name="featureHeight">The level's height.</param>
    /// <param name="imageHeight">The largest image height of the batch.</param>
    /// <returns>The level's scale.</returns>
    public static double InferScale(long featureHeight, long imageHeight)
    {
        if (featureHeight < 1 || imageHeight < 1)
            throw new ArgumentOutOfRangeException(nameof(featureHeight), $"Heights must be positive, got feature {featureHeight} and image {imageHeight}.");
        float approx = (float)((double)featureHeight / imageHeight);
        return Math.Pow(2, MathF.Round(MathF.Log2(approx), MidpointRounding.ToEven));
    }

    private List<Tensor> Select(FeatureMaps features)
    {
        var missing = featureNames.Where(n => !features.Names.Contains(n)).ToList();
        if (missing.Count > 0)
            throw new ArgumentException(
                $"The pyramid has no level named {string.Join(", ", missing.Select(n => $"'{n}'"))}; it has {string.Join(", ", features.Names.Select(n => $"'{n}'"))}.",
                nameof(features));
        // torchvision filters the pyramid's dict, so the pyramid's order decides.
        return features.Names.Select((n, i) => (n, i)).Where(p => featureNames.Contains(p.n)).Select(p => features[p.i]).ToList();
    }
}
