using System.IO;
using FluentAssertions;
using ResNeStBlocks.Samples.ShapeCheck;
using Xunit;

namespace ResNeStBlocks.Samples.Tests;

public class ShapeCheckTests
{
    [Fact]
    public void Prints_stage_shapes_parameters_and_macs_and_exits_zero_when_timm_counts_match()
    {
        var output = new StringWriter();
        int exit = ShapeCheckApp.Run(new[] { "resnest14d" }, output);
        string text = output.ToString();
        exit.Should().Be(0);
        text.Should().Contain("resnest14d").And.Contain("10,611,688").And.Contain("ok")
            .And.Contain("256x56x56").And.Contain("2048x7x7")
            .And.Contain("All 1 parameter counts match timm.");
    }

    [Fact]
    public void Unknown_model_names_exit_with_code_two_and_list_the_known_ones()
    {
        var output = new StringWriter();
        ShapeCheckApp.Run(new[] { "resnest51x" }, output).Should().Be(2);
        output.ToString().Should().Contain("Unknown model(s): resnest51x").And.Contain("resnest269e");
    }
}
