
namespace ResNeStBlocks.Testing;

/// <summary>
/// The one collection of tests that run alone, after the parallel ones: tests that measure process-wide state
/// (memory, global tensor counts) or change it (TorchSharp's default device or dtype, libtorch's global
/// switches, environment variables, the garbage collector), and the sample training runs, whose timing and memory
/// other tests running at the same time would distort.
/// </summary>
/// <remarks>xunit reads collection definitions from the test assembly only, so each test project declares this collection
/// with a one-line class of its own (<c>IsolatedCollectionDefinition</c>); the name and the reasons live here.</remarks>
public static class IsolatedCollection
{
    /// <summary>The collection's name, for <c>[Collection(IsolatedCollection.Name)]</c>.</summary>
    public const string Name = "Isolated";
}
