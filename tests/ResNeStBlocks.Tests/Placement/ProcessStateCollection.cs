using Xunit;

namespace ResNeStBlocks.Tests.Placement;

/// <summary>
/// Tests that change process-wide state: TorchSharp's default device or dtype, or a switch of libtorch's global
/// context. Any test running meanwhile would see the change, so these run alone.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessStateCollection
{
    public const string Name = "ProcessState";
}
