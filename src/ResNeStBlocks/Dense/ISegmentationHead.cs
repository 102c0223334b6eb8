using System.Collections.Generic;
using ResNeStBlocks.Backbones;
using ResNeStBlocks.Description;
using static TorchSharp.torch;

namespace ResNeStBlocks.Dense;

/// <summary>
/// A segmentation head: the backbone's stage outputs in, class logits out. <see cref="SegmentationModel"/> runs any
/// TorchSharp module that implements it (<see cref="DeepLabHead"/>, <see cref="FcnHead"/>, <see cref="DeepLabV3PlusHead"/>,
/// your own) and resizes its logits to the input; the head alone decides which stages it reads.
/// </summary>
/// <remarks>
/// As the main head (keys <c>classifier.*</c>) it receives every stage, <c>layer1</c> first; as the auxiliary head
/// (keys <c>aux_classifier.*</c>) it receives the stages up to the second-to-last, so a head that reads the last stage
/// it is given (torchvision's <c>FCNHead</c>) serves in both roles. A new head is one class: the module, these members,
/// and a <see cref="DescribeStages"/> that states its eval-mode forward for export and folding.
/// </remarks>
public interface ISegmentationHead
{
    /// <summary>Classes predicted: the logits' channels.</summary>
    int NumClasses { get; }

    /// <summary>
    /// The keys, relative to the head, of the layers whose shapes follow <see cref="NumClasses"/> (<c>"4"</c> for
    /// torchvision's heads): when pretrained weights were trained for another class count, loading leaves these layers
    /// new and loads the rest.
    /// </summary>
    IReadOnlyList<string> ClassLayers { get; }

    /// <summary>
    /// Whether the bilinear resize of the logits to the input's size aligns corners (torchvision's heads: false;
    /// segmentation_models_pytorch's DeepLabV3+: true).
    /// </summary>
    bool AlignCorners { get; }

    /// <summary>Refuses stages the head cannot read (too few, or other channels than the head was built for).</summary>
    /// <param name="stages">The stages the head will receive (see the remarks).</param>
    /// <param name="parameterName">The argument that passed the head, for the exception.</param>
    /// <exception cref="System.ArgumentException">The head cannot read these stages; the message names the fix.</exception>
    void CheckStages(IReadOnlyList<FeatureInfo> stages, string parameterName);

    /// <summary>Class logits from the stage outputs, at the resolution the head works at.</summary>
    /// <param name="stages">Stage outputs [N, C_i, H_i, W_i], <c>layer1</c> first.</param>
    /// <returns>Logits [N, <see cref="NumClasses"/>, h, w].</returns>
    Tensor ForwardStages(IReadOnlyList<Tensor> stages);

    /// <summary>Describes the eval-mode <see cref="ForwardStages"/> (the model runs it within the head's scope).</summary>
    /// <param name="graph">The graph being built.</param>
    /// <param name="stages">The stage values, <c>layer1</c> first.</param>
    /// <returns>The logits.</returns>
    GraphValue DescribeStages(ForwardGraph graph, IReadOnlyList<GraphValue> stages);
}
