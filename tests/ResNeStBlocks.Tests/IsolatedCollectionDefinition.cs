using ResNeStBlocks.Testing;
using Xunit;

namespace ResNeStBlocks.Tests;

/// <summary>Declares <see cref="IsolatedCollection"/> in this test assembly (its tests run alone, after the parallel ones).</summary>
[CollectionDefinition(IsolatedCollection.Name, DisableParallelization = true)]
public sealed class IsolatedCollectionDefinition
{
}
