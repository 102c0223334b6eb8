using System.Collections.Generic;
using ResNeStBlocks.Zoo;

namespace ResNeStBlocks.Samples.Classify;

/// <summary>What <see cref="ClassifyApp.Run"/> found.</summary>
/// <param name="Model">The model name.</param>
/// <param name="ImagePath">The image.</param>
/// <param name="Preprocessing">The pretrained configuration the image was prepared with.</param>
/// <param name="Predictions">The top classes, most probable first.</param>
public sealed record ClassifyResult(string Model, string ImagePath, PretrainedConfig Preprocessing, IReadOnlyList<Prediction> Predictions);
