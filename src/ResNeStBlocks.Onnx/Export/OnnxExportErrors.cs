using System;
using TorchSharp;

namespace ResNeStBlocks.Onnx.Export;

/// <summary>The exceptions the exporter raises for modules it cannot translate.</summary>
internal static class OnnxExportErrors
{
    /// <summary>A module type the exporter has no emitter for, at <paramref name="path"/>.</summary>
    public static NotSupportedException Unsupported(torch.nn.Module module, string path) =>
        new($"ONNX export does not support the module at {ExportContext.Describe(path)} of type {module.GetType().FullName}. " +
            "The exporter translates this library's layers, blocks and backbones (and TorchSharp's Conv2d, BatchNorm2d, ReLU, " +
            "pooling, Identity and Sequential); replace the module or export the parts around it.");

    /// <summary>A known module whose settings have no ONNX equivalent here.</summary>
    public static NotSupportedException Setting(string path, string what) =>
        new($"ONNX export cannot translate {ExportContext.Describe(path)}: {what}.");
}
