using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace ResNeStBlocks.Benchmarks;

/// <summary>
/// Whole-model runs take seconds each on two cores: one invocation per iteration, one warm-up, three
/// measured iterations, in process (no generated project to build; libtorch is loaded once).
/// </summary>
public sealed class ModelBenchmarkConfig : ManualConfig
{
    public ModelBenchmarkConfig()
    {
        AddJob(Job.Default.WithLaunchCount(1).WithWarmupCount(1).WithIterationCount(3).WithInvocationCount(1).WithUnrollFactor(1)
            .WithToolchain(InProcessEmitToolchain.Instance).WithId("model"));
        AddDiagnoser(MemoryDiagnoser.Default);
        AddColumn(StatisticColumn.Median);
    }
}
