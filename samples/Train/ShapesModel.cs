using ResNeStBlocks.Backbones;
using ResNeStBlocks.Blocks;

namespace ResNeStBlocks.Samples.Train;

/// <summary>The small ResNeSt the sample trains: ResNeSt-14-style, one block per stage, narrow channels.</summary>
public static class ShapesModel
{
    /// <summary>Radix-2 Split-Attention bottlenecks, layers [1, 1, 1, 1], channels [16, 32, 64, 128], deep stem of width 16, avg-down shortcuts.</summary>
    /// <param name="numClasses">Classifier outputs.</param>
    /// <returns>The architecture.</returns>
    public static ResNetConfig Config(int numClasses) =>
        new(new ResNeStSpec(Radix: 2), new[] { 1, 1, 1, 1 })
        {
            Channels = new[] { 16, 32, 64, 128 },
            StemType = StemType.Deep,
            StemWidth = 16,
            AvgDown = true,
            NumClasses = numClasses,
        };
}
