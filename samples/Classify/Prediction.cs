namespace ResNeStBlocks.Samples.Classify;

/// <summary>One row of the answer.</summary>
/// <param name="Rank">1 for the most probable class.</param>
/// <param name="ClassIndex">The class index (the classifier's output position).</param>
/// <param name="Name">The class name.</param>
/// <param name="Probability">Softmax probability.</param>
public sealed record Prediction(int Rank, int ClassIndex, string Name, double Probability);
