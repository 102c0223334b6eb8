using System;
using System.Collections.Generic;
using System.Linq;
using ResNeStBlocks.Dense;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNeStBlocks.Detection.Models;

/// <summary>
/// Faster R-CNN with a feature pyramid (Ren et al., 2015; Lin et al., 2017; torchvision's <c>FasterRCNN</c>): backbone
/// and pyramid, region proposal network, then the box heads on pooled proposals.
/// </summary>
/// <remarks>Keys are torchvision's: <c>backbone.body.*</c>, <c>backbone.fpn.*</c>, <c>rpn.head.*</c>,
/// <c>roi_heads.box_head.*</c>, <c>roi_heads.box_predictor.*</c>. Build it with <see cref="DetectionModels.Create"/>.</remarks>
public sealed class FasterRcnn : nn.Module
{
    private readonly DetectionBackbone backbone;
    private readonly RegionProposalNetwork rpn;
    private readonly RoiHeads roiHeads;
    private readonly EvalImageBatch transform;

    internal FasterRcnn(DetectionBackbone backbone, RegionProposalNetwork rpn, RoiHeads roiHeads, DetectionOptions options) : base(nameof(FasterRcnn))
    {
        Runtime.NativeRuntime.EnsureCpuChecked();
        this.backbone = backbone;
        this.rpn = rpn;
        this.roiHeads = roiHeads;
        Options = options;
        transform = new EvalImageBatch(options);
        register_module("backbone", backbone);
        register_module("rpn", rpn);
        register_module("roi_heads", roiHeads);
    }

    /// <summary>The settings the model was built with.</summary>
    public DetectionOptions Options { get; }

    /// <summary>Classes, background included.</summary>
    public int NumClasses => roiHeads.BoxPredictor.NumClasses;

    /// <summary>The region proposal network (keys <c>rpn.*</c>).</summary>
    public RegionProposalNetwork Rpn => rpn;

    /// <summary>The box heads (keys <c>roi_heads.*</c>).</summary>
    public RoiHeads RoiHeads => roiHeads;

    /// <summary>
    /// Detects objects as torchvision's model does in eval mode (test-time top-n, no gradients), whatever the module's mode.
    /// </summary>
    /// <param name="images">Images [3, H, W] with values in [0, 1], in the model's dtype and on its device.</param>
    /// <returns>One result per image, boxes in that image's pixels.</returns>
    /// <exception cref="ArgumentException">No image, or an image's shape, dtype or device does not fit the model.</exception>
    /// <exception cref="NotSupportedException">An image would need resizing (see <see cref="DetectionOptions.MinSize"/>).</exception>
    public IReadOnlyList<Detections> Detect(IReadOnlyList<Tensor> images)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.Count == 0)
            throw new ArgumentException("images must hold at least one [3, H, W] image.", nameof(images));
        var weight = parameters().First();
        for (int i = 0; i < images.Count; i++)
        {
            var image = images[i] ?? throw new ArgumentNullException(nameof(images), $"Image {i} is null.");
            if (image.dim() != 3 || image.size(0) != 3)
                throw new ArgumentException($"Image {i} must have shape [3, H, W], got [{string.Join(", ", image.shape)}].", nameof(images));
            if (image.dtype != weight.dtype || image.device_type != weight.device_type || image.device_index != weight.device_index)
                throw new ArgumentException(
                    $"Image {i} is {image.dtype} on {image.device}, the model {weight.dtype} on {weight.device}; convert it with image.to(...) first.", nameof(images));
        }
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var (batch, sizes, originals) = transform.Batch(images);
        var features = backbone.call(batch);
        var proposals = rpn.Propose(batch.size(2), batch.size(3), sizes, features);
        var detections = roiHeads.Detect(features, proposals, sizes);
        // Boxes go back to each image's own pixels, as torchvision's postprocess maps them.
        return detections.Select((d, i) => new Detections(
            DetectionTransform.ResizeBoxes(d.Boxes, sizes[i], originals[i]).MoveToOuterDisposeScope(),
            d.Scores.MoveToOuterDisposeScope(), d.Labels.MoveToOuterDisposeScope())).ToArray();
    }

    /// <summary>Registers nothing: the constructor registered every child under torchvision's key.</summary>
    protected override void RegisterComponents()
    {
    }
}
