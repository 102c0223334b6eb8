using System.Collections.Generic;
using System.Linq;
using static TorchSharp.torch;

namespace ResNeStBlocks.Testing;

/// <summary>A module's state dict copied to the host, to compare a module before and after, bit for bit or by value.</summary>
public static class StateSnapshot
{
    /// <summary>Every state-dict tensor's raw bytes, by key.</summary>
    public static Dictionary<string, byte[]> Bytes(nn.Module module)
    {
        using var scope = NewDisposeScope();
        return module.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().cpu().contiguous().bytes.ToArray());
    }

    /// <summary>Every state-dict tensor's values in float64, by key.</summary>
    public static Dictionary<string, double[]> Values(nn.Module module)
    {
        using var scope = NewDisposeScope();
        return module.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().cpu().to(ScalarType.Float64).contiguous().data<double>().ToArray());
    }
}
