namespace ResNeStBlocks.Benchmarks.Blocks;

/// <summary>
/// The first block of a ResNeSt-50 stage: input channels, planes, stride and input side. Its
/// Split-Attention sees <c>planes</c> channels at the same side (the avd pool strides after it).
/// </summary>
public sealed record Stage(int Index, int InPlanes, int Planes, int Stride, int Side)
{
    public static Stage[] ResNeSt50 { get; } =
    {
        new(1, 64, 64, 1, 56),
        new(2, 256, 128, 2, 56),
        new(3, 512, 256, 2, 28),
        new(4, 1024, 512, 2, 14),
    };

    public override string ToString() => $"layer{Index}";
}
