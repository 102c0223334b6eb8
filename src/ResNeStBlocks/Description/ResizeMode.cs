namespace ResNeStBlocks.Description;

/// <summary>How <see cref="ForwardGraph.Resize(GraphValue, GraphValue, ResizeMode, bool)"/> samples, as PyTorch's <c>interpolate</c> modes.</summary>
public enum ResizeMode
{
    /// <summary>PyTorch <c>mode='nearest'</c>: the source pixel at <c>floor(output index * input size / output size)</c>.</summary>
    Nearest,

    /// <summary>PyTorch <c>mode='bilinear'</c>, with or without <c>align_corners</c>.</summary>
    Bilinear,
}
