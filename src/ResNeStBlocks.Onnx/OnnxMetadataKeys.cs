namespace ResNeStBlocks.Onnx;

/// <summary>
/// Keys of the exported file's <c>metadata_props</c> (ONNX Runtime: <c>InferenceSession.ModelMetadata.CustomMetadataMap</c>).
/// Numbers use the invariant culture; lists are comma-separated.
/// </summary>
public static class OnnxMetadataKeys
{
    /// <summary>Producer name and version, such as <c>ResNeStBlocks.Onnx 0.1.0</c> (also in the model's producer fields, which ONNX Runtime exposes only in part).</summary>
    public const string Producer = "producer";

    /// <summary>The exported module's type, such as <c>ResNet</c> or <c>ResNeStBottleneck</c>.</summary>
    public const string Module = "module";

    /// <summary><c>folded</c>, or <c>kept</c> when the graph has BatchNormalization nodes.</summary>
    public const string BatchNorm = "batchnorm";

    /// <summary>Classifier outputs of a ResNet (0: the output is pooled features), or the classes of a segmentation model's logits.</summary>
    public const string NumClasses = "num_classes";

    /// <summary>Where the weights are published, such as <c>timm/resnest50d.in1k</c>.</summary>
    public const string HubId = "hub_id";

    /// <summary>The network input as timm writes it: <c>3,224,224</c>.</summary>
    public const string InputSize = "input_size";

    /// <summary>Fraction of the resized shorter side kept by the center crop (timm <c>crop_pct</c>), such as <c>0.875</c>.</summary>
    public const string CropPct = "crop_pct";

    /// <summary>Resize filter: <c>bilinear</c> or <c>bicubic</c>.</summary>
    public const string Interpolation = "interpolation";

    /// <summary>Per-channel RGB mean, such as <c>0.485,0.456,0.406</c>.</summary>
    public const string Mean = "mean";

    /// <summary>Per-channel RGB standard deviation, such as <c>0.229,0.224,0.225</c>.</summary>
    public const string Std = "std";

    /// <summary>
    /// A detector's class names in label order (<see cref="OnnxExportOptions.ClassNames"/>), as a JSON array of strings,
    /// such as <c>["__background__","person","bicycle"]</c>: label <c>i</c> is entry <c>i</c>. JSON rather than a comma-separated
    /// list, because names may hold commas. Absent when the export was given no names.
    /// </summary>
    public const string ClassNames = "class_names";
}
