using Xunit;

namespace ResNeStBlocks.Tests.Support;

/// <summary>Tests that measure process-wide state (memory, global tensor counts) and so must not run beside others.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class IsolatedCollection
{
    public const string Name = "Isolated";
}
