using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace ResNeStBlocks.Benchmarks;

/// <summary>Blocks take milliseconds: BenchmarkDotNet's short run (3 warm-ups, 3 iterations), in process.</summary>
public sealed class BlockBenchmarkConfig : ManualConfig
{
    public BlockBenchmarkConfig()
    {
        AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance).WithId("block"));
        AddDiagnoser(MemoryDiagnoser.Default);
        AddColumn(StatisticColumn.Median);
    }
}
