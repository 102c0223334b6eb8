using System;
using FluentAssertions;
using ResNeStBlocks.Runtime;
using TorchSharp;
using Xunit;

namespace ResNeStBlocks.Tests.Runtime;

public class ComputeDeviceTests
{
    [Fact]
    public void Cpu_and_existing_cuda_devices_parse()
    {
        ComputeDevice.Parse("cpu").type.Should().Be(DeviceType.CPU);
        var second = ComputeDevice.Parse("cuda:1", cudaAvailable: true, cudaDevices: 2);
        second.type.Should().Be(DeviceType.CUDA);
        second.index.Should().Be(1);
        ComputeDevice.Parse("cuda", cudaAvailable: true, cudaDevices: 1).index.Should().Be(0);
    }

    [Fact]
    public void An_index_beyond_the_device_count_is_named()
    {
        var act = () => ComputeDevice.Parse("cuda:2", cudaAvailable: true, cudaDevices: 2);
        act.Should().Throw<ArgumentException>()
            .WithMessage("The device 'cuda:2' does not exist: this machine has 2 CUDA device(s), cuda:0 to cuda:1. (Parameter 'name')");
    }

    [Fact]
    public void Cuda_without_cuda_says_what_is_missing()
    {
        var act = () => ComputeDevice.Parse("cuda", cudaAvailable: false, cudaDevices: 0);
        act.Should().Throw<ArgumentException>().WithMessage(
            "The device 'cuda' cannot be used: CUDA is not available in this process. It needs an NVIDIA GPU with its driver " +
            "and TorchSharp's CUDA runtime package in place of TorchSharp-cpu: 'dotnet add package TorchSharp-cuda-linux --version 0.107.0' " +
            "(TorchSharp-cuda-windows on Windows; libtorch has no CUDA build for macOS). (Parameter 'name')");
        if (!TorchSharp.torch.cuda.is_available())
            ((Action)(() => ComputeDevice.Parse("cuda:0"))).Should().Throw<ArgumentException>().WithMessage("The device 'cuda:0' cannot be used: *");
    }

    [Theory]
    [InlineData("gpu")]
    [InlineData("cuda:")]
    [InlineData("cuda:-1")]
    [InlineData("CPU")]
    public void Other_names_are_refused(string name)
    {
        var act = () => ComputeDevice.Parse(name, cudaAvailable: true, cudaDevices: 1);
        act.Should().Throw<ArgumentException>().WithMessage($"The device must be cpu, cuda or cuda:N, got '{name}'. (Parameter 'name')");
    }
}
