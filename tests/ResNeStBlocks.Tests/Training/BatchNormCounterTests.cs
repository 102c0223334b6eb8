using System.Linq;
using FluentAssertions;
using ResNeStBlocks.Backbones;
using ResNeStBlocks.Blocks;
using ResNeStBlocks.Layers;
using ResNeStBlocks.Testing;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace ResNeStBlocks.Tests.Training;

/// <summary>
/// The library's BatchNorms count their training batches with a held Scalar (TorchSharp 0.107's forward would use a
/// temporary one) and otherwise behave exactly as TorchSharp's forward: same outputs, running statistics and hooks.
/// </summary>
public sealed class BatchNormCounterTests
{
    [Fact]
    public void A_block_in_training_matches_TorchSharps_batch_norm_and_counts_each_batch_once()
    {
        var generator = new Generator(21);
        using var block = new BasicBlock(8, 16, new BasicBlockSpec(),
            new BlockPlacement(Stride: 2, Downsample: Downsample.Average(8, 16, stride: 2)));
        RandomNorms.Randomize(block, seed: 21);
        block.train();
        using var input = randn(new long[] { 2, 8, 8, 8 }, generator: generator);
        var norms = block.modules().OfType<BatchNorm2d>().ToList();
        norms.Should().HaveCount(3, "bn1, bn2 and the average-pool shortcut's BatchNorm");
        var statistics = norms.Select(n => (Mean: n.running_mean!.clone(), Var: n.running_var!.clone())).ToList();
        int fired = 0;
        var hook = norms[0].register_forward_hook((_, _, output) => { fired++; return output; });

        using var output = block.call(input);
        using var again = block.call(input);
        hook.remove();

        norms.Select(n => n.num_batches_tracked!.item<long>()).Should().Equal(2, 2, 2);
        fired.Should().Be(2, "hooks on a library BatchNorm still run");
        // The same batch statistics through TorchSharp's own forward, on copies of the first BatchNorm's state.
        using var reference = nn.BatchNorm2d(16);
        reference.train();
        using (no_grad())
        {
            reference.weight!.copy_(norms[0].weight!);
            reference.bias!.copy_(norms[0].bias!);
            reference.running_mean!.copy_(statistics[0].Mean);
            reference.running_var!.copy_(statistics[0].Var);
        }
        var conv1 = block.modules().OfType<Conv2d>().First();
        using var preNorm = conv1.call(input);
        reference.call(preNorm).Dispose();
        reference.call(preNorm).Dispose();
        norms[0].running_mean!.allclose(reference.running_mean!, 0, 0).Should().BeTrue();
        norms[0].running_var!.allclose(reference.running_var!, 0, 0).Should().BeTrue();
        norms[0].running_mean!.allclose(statistics[0].Mean, 0, 0).Should().BeFalse("training updated the statistics");
        reference.num_batches_tracked!.item<long>().Should().Be(2);
    }

    [Fact]
    public void In_eval_mode_nothing_is_counted()
    {
        using var layer = new ConvNormAct(4, 4, 3);
        layer.eval();
        using var output = layer.call(ones(1, 4, 5, 5));
        layer.Norm.num_batches_tracked!.item<long>().Should().Be(0);
    }
}
