using System.Linq;
using FluentAssertions;
using ResNeStBlocks.Weights;
using static TorchSharp.torch;

namespace ResNeStBlocks.Testing;

/// <summary>The checks every blocks/* case of timm/cases.json gets, layer or residual block alike.</summary>
public static class TimmParity
{
    /// <summary>Keys and shapes equal timm's state dict; the parameter count equals timm's.</summary>
    public static void KeysAndShapes(string name)
    {
        var c = Fixtures.Case(name);
        using var module = TimmModules.Build(c);
        var actual = module.state_dict().Select(kv => (kv.Key, TensorAssert.Shape(kv.Value.shape))).OrderBy(x => x.Key).ToList();
        var expected = c.StateDict.Select(kv => (kv.Key, TensorAssert.Shape(kv.Shape))).OrderBy(x => x.Key).ToList();
        actual.Should().Equal(expected);
        module.parameters().Sum(p => p.numel()).Should().Be(c.Params);
    }

    /// <summary>The parameters come in timm's order (TorchSharp lists a module's parameters before its buffers).</summary>
    public static void ParameterOrder(string name)
    {
        var c = Fixtures.Case(name);
        using var module = TimmModules.Build(c);
        var buffers = new[] { ".running_mean", ".running_var", ".num_batches_tracked" };
        module.named_parameters().Select(p => p.name).Should().Equal(
            c.StateDict.Select(kv => kv.Key).Where(key => !buffers.Any(key.EndsWith)));
    }

    /// <summary>With timm's weights, the output on timm's input equals timm's, in eval or train mode.</summary>
    public static void Output(string name, bool train)
    {
        var c = Fixtures.Case(name);
        var (atol, rtol) = Fixtures.Tolerance;
        using var scope = NewDisposeScope();
        using var module = TimmModules.Build(c);
        StateDictLoader.LoadFile(module, Fixtures.File("timm", c.WeightsFile));
        var io = SafeTensors.Load(Fixtures.File("timm", c.IoFile));
        module.train(train);
        using var _ = train ? enable_grad() : no_grad();
        var output = module.forward(io["input"]);
        output.shape.Should().Equal(c.OutputShape);
        TensorAssert.Close(output, io[train ? "output_train" : "output"], atol, rtol, $"{name} {(train ? "train" : "eval")} output");
    }
}
