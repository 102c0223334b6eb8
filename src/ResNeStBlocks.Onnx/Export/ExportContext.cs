using ResNeStBlocks.Onnx.Graph;

namespace ResNeStBlocks.Onnx.Export;

/// <summary>What every emitter needs: the graph being built and the export choices that change nodes.</summary>
internal sealed class ExportContext
{
    public ExportContext(OnnxGraphBuilder graph, bool foldBatchNorm)
    {
        Graph = graph;
        FoldBatchNorm = foldBatchNorm;
    }

    public OnnxGraphBuilder Graph { get; }

    /// <summary>Fold each BatchNorm into the convolution before it (otherwise emit BatchNormalization nodes).</summary>
    public bool FoldBatchNorm { get; }

    /// <summary>The path of a child module: <c>layer1.0</c> + <c>conv1</c> = <c>layer1.0.conv1</c>.</summary>
    public static string Join(string path, string child) => path.Length == 0 ? child : path + "." + child;

    /// <summary>How a module path reads in messages (the root has an empty path).</summary>
    public static string Describe(string path) => path.Length == 0 ? "(the exported module itself)" : $"'{path}'";
}
