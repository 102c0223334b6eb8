namespace ResNeStBlocks.Inference;

/// <summary>
/// A module that owns convolution + BatchNorm pairs (the convolution's output feeds only that BatchNorm)
/// and can fold each BatchNorm into its convolution for inference. Each implementation folds the pairs
/// it owns directly; <see cref="InferencePreparation.FoldBatchNorm"/> walks the module tree.
/// </summary>
internal interface IFoldableNorm
{
    /// <summary>Whether this module's BatchNorms have been folded away.</summary>
    bool NormsFolded { get; }

    /// <summary>
    /// Folds every BatchNorm this module owns directly into the preceding convolution and removes it;
    /// does nothing the second time.
    /// </summary>
    /// <returns>The number of BatchNorm layers folded.</returns>
    int FoldBatchNorm();
}
