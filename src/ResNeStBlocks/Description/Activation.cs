namespace ResNeStBlocks.Description;

/// <summary>The activation applied after a convolution (and its BatchNorm) in a described forward.</summary>
public enum Activation
{
    /// <summary>No activation.</summary>
    None,

    /// <summary>ReLU.</summary>
    Relu,
}
