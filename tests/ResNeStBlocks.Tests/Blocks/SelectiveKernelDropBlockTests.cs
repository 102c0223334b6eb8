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

namespace ResNeStBlocks.Tests.Blocks;

/// <summary>
/// timm's SK blocks hand DropBlock to every branch of the Selective Kernel convolution (<c>drop_layer=drop_block</c>),
/// where it runs after the branch's BatchNorm and before its ReLU; the other convolutions of the block get none.
/// </summary>
public class SelectiveKernelDropBlockTests
{
    [Fact]
    public void Every_selective_kernel_branch_of_both_sk_blocks_gets_its_own_dropblock()
    {
        var placement = new BlockPlacement(DropBlock: () => new DropBlock(0.1, 3, 0.25));
        using var basic = new SelectiveKernelBasicBlock(32, 32, new SelectiveKernelBasicSpec(), placement);
        using var bottleneck = new SelectiveKernelBottleneck(64, 16, new SelectiveKernelBottleneckSpec(), placement);

        DropBlocks(basic).Select(d => d.Name).Should().Equal("conv1.paths.0.drop", "conv1.paths.1.drop");
        DropBlocks(bottleneck).Select(d => d.Name).Should().Equal("conv2.paths.0.drop", "conv2.paths.1.drop");
        var layers = DropBlocks(basic).Concat(DropBlocks(bottleneck)).Select(d => d.Layer).ToList();
        layers.Should().OnlyHaveUniqueItems();
        layers.Should().OnlyContain(d => d.Rate == 0.1 && d.BlockSize == 3 && d.GammaScale == 0.25);
    }

    [Fact]
    public void A_backbone_places_dropblock_in_the_selective_kernel_branches_of_stages_3_and_4()
    {
        using var model = new ResNet(new ResNetConfig(new SelectiveKernelBasicSpec(), new[] { 1, 1, 1, 1 })
        {
            Channels = new[] { 16, 32, 64, 128 },
            NumClasses = 10,
            DropBlockRate = 0.2,
        });
        DropBlocks(model).Select(d => (d.Name, d.Layer.BlockSize)).Should().Equal(
            ("layer3.0.conv1.paths.0.drop", 5), ("layer3.0.conv1.paths.1.drop", 5),
            ("layer4.0.conv1.paths.0.drop", 3), ("layer4.0.conv1.paths.1.drop", 3));
    }

    [Fact]
    public void Dropblock_acts_in_training_after_the_branch_norm_and_is_the_identity_in_eval()
    {
        manual_seed(4);
        // A seed probability of at least 1 (rate x gammaScale here) drops every activation: each branch is then exactly
        // zero after its BatchNorm, whatever the generator draws.
        using var dropped = new SelectiveKernelBasicBlock(16, 16, new SelectiveKernelBasicSpec(),
            new BlockPlacement(DropBlock: () => new DropBlock(0.5, 1, 2.0)));
        using var plain = new SelectiveKernelBasicBlock(16, 16, new SelectiveKernelBasicSpec());
        plain.load_state_dict(dropped.state_dict());
        RandomNorms.Randomize(dropped, 4);
        plain.load_state_dict(dropped.state_dict());
        using var scope = NewDisposeScope();
        using var generator = new Generator(8);
        var input = randn(new long[] { 2, 16, 8, 8 }, generator: generator);

        dropped.eval();
        plain.eval();
        using (no_grad())
            TensorAssert.Close(dropped.call(input), plain.call(input), 0, 0, "eval mode");

        dropped.train();
        using (no_grad())
        {
            // Zero branches make the Selective Kernel's output zero, so conv2's training-mode BatchNorm sees a constant
            // input and yields its bias: out = relu(input + beta).
            var beta = dropped.named_parameters().Single(p => p.name == "conv2.bn.bias").parameter;
            var expected = (input + beta.view(1, -1, 1, 1)).relu();
            TensorAssert.Close(dropped.call(input), expected, 1e-6, 1e-6, "training mode, every activation dropped");
        }
    }

    private static (string Name, DropBlock Layer)[] DropBlocks(nn.Module module) =>
        module.named_modules().Where(m => m.module is DropBlock).Select(m => (m.name, (DropBlock)m.module)).ToArray();
}
