using FluentAssertions;
using ResNeStBlocks.Zoo;
using Xunit;
using static TorchSharp.torch;

namespace ResNeStBlocks.Tests.Zoo;

public class LargestModelTests
{
    [Fact]
    public void ResNeSt269_runs_a_224_forward_on_the_cpu()
    {
        using var scope = NewDisposeScope();
        using var model = ResNeSt.ResNeSt269();
        model.eval();
        using var _ = no_grad();
        var logits = model.forward(randn(1, 3, 224, 224));
        logits.shape.Should().Equal(1, 1000);
        logits.isfinite().all().item<bool>().Should().BeTrue();
    }
}
