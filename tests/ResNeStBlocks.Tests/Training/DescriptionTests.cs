using System;
using FluentAssertions;
using ResNeStBlocks.Training;
using ResNeStBlocks.Weights;
using Xunit;
using static TorchSharp.torch;

namespace ResNeStBlocks.Tests.Training;

/// <summary>Results that users print show what they hold.</summary>
public sealed class DescriptionTests
{
    [Fact]
    public void A_load_result_lists_its_keys()
    {
        new LoadResult(new[] { "fc.weight", "fc.bias" }, Array.Empty<string>(), new[] { "head.bias" }).ToString()
            .Should().Be("LoadResult { MissingKeys = [fc.weight, fc.bias], UnexpectedKeys = [], SkippedKeys = [head.bias] }");
    }

    [Fact]
    public void A_mixed_precision_step_shows_its_loss_value()
    {
        var loss = tensor(2.5f).to(ScalarType.BFloat16);
        var step = new MixedPrecisionStep(loss, Applied: false, Scale: 65536);

        step.ToString().Should().Be("MixedPrecisionStep { Loss = 2.5, Applied = False, Scale = 65536 }");
        loss.Dispose();
        step.ToString().Should().Be("MixedPrecisionStep { Loss = (disposed), Applied = False, Scale = 65536 }");
    }
}
