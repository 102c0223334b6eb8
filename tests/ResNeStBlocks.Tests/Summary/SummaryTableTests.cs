using System.Linq;
using FluentAssertions;
using ResNeStBlocks.Layers;
using ResNeStBlocks.Summary;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace ResNeStBlocks.Tests.Summary;

public class SummaryTableTests
{
    [Fact]
    public void Split_attention_table_is_aligned_with_thousands_separators()
    {
        using var block = new SplitAttention(64, options: new SplitAttentionOptions(Radix: 2));
        string table = block.Summarize(1, 64, 16, 16).ToTable();

        table.Should().Be(string.Join("\n",
            "Layer  Type         Output shape      Params       MACs",
            "-------------------------------------------------------",
            "conv   Conv2d       [1, 128, 16, 16]  36,864  9,437,184",
            "bn0    BatchNorm2d  [1, 128, 16, 16]     256          0",
            "fc1    Conv2d       [1, 32, 1, 1]      2,080      2,048",
            "bn1    BatchNorm2d  [1, 32, 1, 1]         64          0",
            "fc2    Conv2d       [1, 128, 1, 1]     4,224      4,096",
            "-------------------------------------------------------",
            "Input shape: [1, 64, 16, 16]",
            "Total params: 43,488",
            "Trainable params: 43,488",
            "Non-trainable params: 0",
            "MACs per sample: 9,443,328 (9.44 M)",
            ""));
    }

    [Fact]
    public void Grouped_table_has_one_line_per_top_level_module_and_right_aligned_numbers()
    {
        using var net = nn.Sequential(
            ("stem", nn.Sequential(nn.Conv2d(3, 32, 3, padding: 1), nn.BatchNorm2d(32), nn.ReLU())),
            ("head", nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, 1000))));
        var lines = net.Summarize(1, 3, 32, 32).ToTable(depth: 1).Split('\n');

        lines.Take(4).Should().Equal(
            "Layer  Type        Output shape     Params     MACs",
            "---------------------------------------------------",
            "stem   Sequential  [1, 32, 32, 32]     960  884,736",
            "head   Sequential  [1, 1000]        33,000   32,000");
        // Every data line ends its numbers in the same column as the header.
        lines.Take(4).Select(l => l.Length).Distinct().Should().ContainSingle();
        lines.Should().Contain("MACs per sample: 916,736 (916.74 K)");
    }
}
