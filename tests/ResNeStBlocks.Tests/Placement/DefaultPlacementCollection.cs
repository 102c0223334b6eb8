using Xunit;

namespace ResNeStBlocks.Tests.Placement;

/// <summary>
/// Tests that change TorchSharp's process-wide default device or dtype; any other test running meanwhile would
/// create its tensors there, so these run alone.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class DefaultPlacementCollection
{
    public const string Name = "DefaultPlacement";
}
