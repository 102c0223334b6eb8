using System.IO;
using FluentAssertions;
using ResNeStBlocks.Samples.ShapeCheck;
using Xunit;

namespace ResNeStBlocks.Samples.Tests;

public class DeviceCheckTests
{
    [Fact]
    public void Without_cuda_the_gpu_check_says_so_and_exits_three()
    {
        var output = new StringWriter();
        int exit = ShapeCheckApp.Run(new[] { "--device", "cuda", "resnest14d" }, output);
        if (TorchSharp.torch.cuda.is_available())
        {
            exit.Should().Be(0, output.ToString());
            return;
        }
        exit.Should().Be(DeviceCheck.NoCudaExitCode);
        output.ToString().Should().Be(
            "No GPU check: CUDA is not available in this process (device 'cuda'). Run it on a machine with an NVIDIA GPU and driver, " +
            "built with the CUDA runtime: dotnet run -c Release -p:TorchBackend=cuda --project samples/ShapeCheck -- --device cuda\n");
    }

    [Fact]
    public void The_check_itself_finds_no_difference_between_the_cpu_and_the_cpu()
    {
        var output = new StringWriter();
        ShapeCheckApp.Run(new[] { "--device", "cpu", "resnest14d" }, output).Should().Be(0);
        output.ToString().Should().Contain("resnest14d                             0.00e+00  ok")
            .And.Contain("All 1 models agree within 0.0001 on cpu and cpu.");
    }

    [Fact]
    public void A_bad_device_name_exits_two()
    {
        var output = new StringWriter();
        ShapeCheckApp.Run(new[] { "--device", "gpu0" }, output).Should().Be(2);
        output.ToString().Should().Be("The device must be cpu, cuda or cuda:N, got 'gpu0'. (Parameter 'name')\n");
        output = new StringWriter();
        ShapeCheckApp.Run(new[] { "--device" }, output).Should().Be(2);
        output.ToString().Should().Contain("--device needs a value: cuda or cuda:N.");
    }
}
