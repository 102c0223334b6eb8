using System;
using ResNeStBlocks.Description;

namespace ResNeStBlocks.Onnx.Export;

/// <summary>The exceptions the exporter raises for modules it cannot translate.</summary>
internal static class OnnxExportErrors
{
    /// <summary>A module without a description of its forward, at <paramref name="path"/>.</summary>
    public static NotSupportedException Unsupported(TorchSharp.torch.nn.Module module, string path) =>
        new($"ONNX export does not support the module at {Describe(path)} of type {module.GetType().FullName}: nothing describes its forward. " +
            $"Implement {nameof(IDescribedModule)} on it, or register a description before exporting: " +
            $"ModuleDescriptions.Register<{module.GetType().Name}>((graph, module, input) => ...). This library's layers, blocks, " +
            "backbones and heads, and TorchSharp's common layers (convolution, BatchNorm, linear, pooling, activations, dropout, " +
            "Flatten, Upsample, Sequential), are described already.");

    /// <summary>A module whose settings have no ONNX equivalent here.</summary>
    public static NotSupportedException Setting(string path, string what) =>
        new($"ONNX export cannot translate {Describe(path)}: {what}.");

    /// <summary>How a module path reads in messages (the root has an empty path).</summary>
    public static string Describe(string path) => path.Length == 0 ? "(the exported module itself)" : $"'{path}'";
}
