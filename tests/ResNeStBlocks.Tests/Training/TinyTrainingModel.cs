using ResNeStBlocks.Backbones;
using ResNeStBlocks.Blocks;

namespace ResNeStBlocks.Tests.Training;

/// <summary>A two-stage basic-block ResNet small enough to train in milliseconds.</summary>
public static class TinyTrainingModel
{
    public const int Classes = 3;

    public static ResNetConfig Config(double dropPathRate = 0) =>
        new(new BasicBlockSpec(), new[] { 1, 1 })
        {
            Channels = new[] { 4, 8 },
            StemWidth = 4,
            NumClasses = Classes,
            DropPathRate = dropPathRate,
        };
}
