using System;
using TorchSharp;
using static TorchSharp.torch;

namespace ResNeStBlocks.Tests.Devices;

/// <summary>Runs code with TorchSharp's default device or dtype switched, restoring the previous default afterwards.</summary>
public static class DefaultPlacement
{
    /// <summary>The meta device: a tensor created there has a shape but no storage, and no CPU kernel accepts it.</summary>
    public static Device Meta { get; } = new(DeviceType.META);

    public static void WithDevice(Device device, Action action)
    {
        var previous = get_default_device();
        set_default_device(device);
        try
        {
            action();
        }
        finally
        {
            set_default_device(previous);
        }
    }

    public static void WithDType(ScalarType dtype, Action action)
    {
        var previous = get_default_dtype();
        set_default_dtype(dtype);
        try
        {
            action();
        }
        finally
        {
            set_default_dtype(previous);
        }
    }
}
