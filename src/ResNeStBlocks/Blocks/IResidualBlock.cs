namespace ResNeStBlocks.Blocks;

/// <summary>A residual block that a backbone can stack: its widths and the zero-init hook.</summary>
public interface IResidualBlock
{
    /// <summary>Channels the block expects.</summary>
    int InChannels { get; }

    /// <summary>Channels the block produces (<c>planes * expansion</c>).</summary>
    int OutChannels { get; }

    /// <summary>
    /// Sets the scale (weight) of the last BatchNorm in the residual branch to zero, so that the block
    /// starts as the identity (Goyal et al., 2017; timm <c>zero_init_last</c>).
    /// </summary>
    /// <exception cref="System.InvalidOperationException">The block's BatchNorms have been folded for inference.</exception>
    void ZeroInitLastNorm();
}
