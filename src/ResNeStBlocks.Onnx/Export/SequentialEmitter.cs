using System.Linq;
using TorchSharp;
using TorchSharp.Modules;

namespace ResNeStBlocks.Onnx.Export;

/// <summary>
/// A <see cref="Sequential"/> (shortcuts, deep stems): its children in order, each convolution fused with the
/// BatchNorm that follows it.
/// </summary>
internal static class SequentialEmitter
{
    /// <param name="context">The export.</param>
    /// <param name="sequence">The Sequential.</param>
    /// <param name="path">Its module path.</param>
    /// <param name="input">Its input value.</param>
    /// <param name="trailingNorm">A BatchNorm owned elsewhere that follows the Sequential (a ResNet stem's <c>bn1</c>), or null.</param>
    /// <param name="trailingNormPath">That BatchNorm's path.</param>
    public static string Emit(ExportContext context, Sequential sequence, string path, string input,
        BatchNorm2d? trailingNorm = null, string? trailingNormPath = null)
    {
        var children = sequence.named_children().ToList();
        string x = input;
        for (int i = 0; i < children.Count; i++)
        {
            var (name, child) = children[i];
            string childPath = ExportContext.Join(path, name);
            if (child is Conv2d conv)
            {
                bool last = i == children.Count - 1;
                if (!last && children[i + 1].module is BatchNorm2d norm)
                {
                    x = ConvEmitter.Emit(context, conv, childPath, norm, ExportContext.Join(path, children[i + 1].name), x);
                    i++;
                    continue;
                }
                if (last && trailingNorm is not null)
                    return ConvEmitter.Emit(context, conv, childPath, trailingNorm, trailingNormPath, x);
            }
            x = ModuleEmitter.Emit(context, child, childPath, x);
        }
        return trailingNorm is null ? x : ConvEmitter.BatchNormalization(context, trailingNorm, trailingNormPath!, x);
    }
}
