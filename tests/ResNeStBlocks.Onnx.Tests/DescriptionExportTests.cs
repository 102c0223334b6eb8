using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using FluentAssertions;
using ResNeStBlocks.Description;
using ResNeStBlocks.Layers;
using ResNeStBlocks.Onnx.Tests.Support;
using ResNeStBlocks.Testing;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace ResNeStBlocks.Onnx.Tests;

/// <summary>
/// Exact or refused: a user's module with a learned parameter exports when its description states it and is refused,
/// with no file left at the path, when the description leaves the parameter out, names a value nobody defined, or
/// computes something other than the forward; every operation of <see cref="ForwardGraph"/> exports and equals TorchSharp.
/// </summary>
public class DescriptionExportTests : IDisposable
{
    private const double Tolerance = 1e-5;
    private static readonly long[] Size = { 3, 12, 10 };
    private readonly string folder = Path.Combine(Path.GetTempPath(), $"onnx-{Guid.NewGuid():N}");

    static DescriptionExportTests() => ModuleDescriptions.Register<OpModule>((graph, module, x) => module.Describe(graph, x));

    public DescriptionExportTests() => Directory.CreateDirectory(folder);

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public void Learned_scale_with_its_parameter_exports_and_equals_onnx_runtime()
    {
        using var network = ScaledNetwork((graph, module, x) => graph.Mul(x, graph.Parameter("alpha")));
        string path = Path.Combine(folder, "scaled.onnx");

        OnnxExporter.Export(network, path, Options);

        using var runner = new OrtRunner(File.ReadAllBytes(path));
        AssertMatches(network, runner, "learned scale");
        Directory.GetFiles(folder).Should().Equal(new[] { path }, "the temporary file is renamed, nothing else is left");
    }

    [Fact]
    public void Description_that_ignores_the_parameter_is_refused_and_no_file_is_written()
    {
        using var network = ScaledNetwork((graph, module, x) => x);
        string path = Path.Combine(folder, "ignored.onnx");

        var act = () => OnnxExporter.Export(network, path, Options);

        act.Should().Throw<NotSupportedException>().WithMessage(
            "The description of 'head.scale' (OpModule) does not use its parameter 'head.scale.alpha', so it cannot state what the module computes. " +
            "Read it with graph.Parameter(\"alpha\") where the forward uses it.");
        Directory.GetFiles(folder).Should().BeEmpty();
    }

    [Fact]
    public void Description_that_ignores_a_buffer_is_refused()
    {
        using var network = ScaledNetwork((graph, module, x) => graph.Mul(x, graph.Parameter("alpha")), withBuffer: true);
        var act = () => OrtRunner.Export(network, Options);
        act.Should().Throw<NotSupportedException>().WithMessage(
            "The description of 'head.scale' (OpModule) does not use its buffer 'head.scale.beta', so it cannot state what the module computes. " +
            "Read it with graph.Buffer(\"beta\") where the forward uses it.");
    }

    [Fact]
    public void Reading_a_parameter_the_module_does_not_own_is_refused_naming_its_own()
    {
        using var network = ScaledNetwork((graph, module, x) => graph.Mul(x, graph.Parameter("scale")));
        var act = () => OrtRunner.Export(network, Options);
        act.Should().Throw<ArgumentException>().WithMessage(
            "The description of 'head.scale' (OpModule) reads the parameter 'scale', but its own parameters are 'alpha' " +
            "(a child's parameters are read by the child's own description). (Parameter 'name')");
    }

    [Fact]
    public void Undefined_value_is_refused_naming_the_module_and_no_file_is_written()
    {
        using var network = ScaledNetwork((graph, module, x) => graph.Mul(x, default));
        string path = Path.Combine(folder, "undefined.onnx");
        File.WriteAllText(path, "an earlier export");

        var act = () => OnnxExporter.Export(network, path, Options);

        act.Should().Throw<ArgumentException>().WithMessage(
            "The description of 'head.scale' (OpModule) passes a GraphValue that no operation defined (default(GraphValue)) as 'right'. " +
            "Pass only the description's input and values returned by the graph's operations. (Parameter 'right')");
        File.ReadAllText(path).Should().Be("an earlier export", "a refused export leaves the file at the path untouched");
        Directory.GetFiles(folder).Should().Equal(path);
    }

    [Fact]
    public void Value_kept_from_another_graph_is_refused()
    {
        GraphValue? kept = null;
        using var network = ScaledNetwork((graph, module, x) =>
        {
            var alpha = graph.Parameter("alpha");
            kept ??= alpha;
            return graph.Mul(x, kept.Value);
        });
        OrtRunner.Export(network, Options with { VerifyAgainstForward = false, InputChannels = 3 });

        var act = () => OrtRunner.Export(network, Options);

        act.Should().Throw<ArgumentException>().WithMessage(
            $"The description of 'head.scale' (OpModule) passes the value '{kept!.Value.Id}' of another graph (kept from an earlier description) as 'right'. " +
            "Pass only the description's input and values returned by this graph's operations. (Parameter 'right')");
    }

    [Fact]
    public void Returning_an_undefined_value_is_refused()
    {
        using var network = ScaledNetwork((graph, module, x) =>
        {
            graph.Parameter("alpha");
            return default;
        });
        var act = () => OrtRunner.Export(network, Options);
        act.Should().Throw<ArgumentException>().WithMessage(
            "The description of 'head.scale' (OpModule) returns a GraphValue that no operation defined (default(GraphValue)); " +
            "it must return its input or a value returned by the graph's operations.");
    }

    [Fact]
    public void Description_that_computes_something_else_is_refused_naming_the_module_and_the_difference()
    {
        using var network = ScaledNetwork((graph, module, x) => graph.Add(x, graph.Parameter("alpha")));
        string path = Path.Combine(folder, "wrong.onnx");

        var act = () => OnnxExporter.Export(network, path, Options);

        var error = act.Should().Throw<DescriptionMismatchException>().Which;
        error.ModulePath.Should().Be("head.scale");
        error.Message.Should().MatchRegex(
            @"^The description of 'head\.scale' \(OpModule\) does not compute what its forward computes: on the same input the largest difference is [0-9.]+ " +
            @"\(allowed: 0\.0001 x [0-9.]+, the output's largest magnitude or 1\)\. Make the description");
        Directory.GetFiles(folder).Should().BeEmpty();
    }

    [Fact]
    public void Without_verification_a_wrong_description_is_written_as_stated()
    {
        // The option exists for models too large to run twice; the file then computes what the description states.
        using var network = ScaledNetwork((graph, module, x) => graph.Add(x, graph.Parameter("alpha")));
        var bytes = OrtRunner.Export(network, Options with { VerifyAgainstForward = false, InputChannels = 3 });
        OnnxGraph.OpTypes(bytes).Should().Contain("Add");
    }

    [Fact]
    public void Network_ending_in_a_linear_layer_outputs_logits_and_names_can_be_given()
    {
        manual_seed(3);
        using var network = nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 4));
        using (var runner = OrtRunner.For(network, Options))
            runner.Session.OutputNames.Should().Equal(OnnxExporter.LogitsOutput);
        using (var runner = OrtRunner.For(nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU()), Options))
            runner.Session.OutputNames.Should().Equal(OnnxExporter.FeaturesOutput);
        using (var runner = OrtRunner.For(network, Options with { OutputNames = new[] { "scores" } }))
            runner.Session.OutputNames.Should().Equal("scores");

        var act = () => OrtRunner.Export(network, Options with { OutputNames = new[] { "a", "b" } });
        act.Should().Throw<ArgumentException>().WithMessage(
            "OnnxExportOptions.OutputNames gives 2 names, but the model has 1 outputs (logits); give one name per output, in that order. (Parameter 'options')");
    }

    [Fact]
    public void Fixed_size_export_declares_that_size_and_dynamic_export_accepts_others()
    {
        manual_seed(4);
        using var network = nn.Sequential(nn.Conv2d(3, 8, 3, padding: 1), nn.ReLU());
        using (var runner = OrtRunner.For(network, new OnnxExportOptions { InputHeight = 12, InputWidth = 10 }))
        {
            runner.Session.InputMetadata[OnnxExporter.InputName].Dimensions.Should().Equal(-1, 3, 12, 10);
            using var scope = NewDisposeScope();
            var other = () => runner.Run(randn(1, 3, 16, 16));
            other.Should().Throw<Microsoft.ML.OnnxRuntime.OnnxRuntimeException>("a fixed-size file refuses another size");
        }
        using (var runner = OrtRunner.For(network, new OnnxExportOptions { DynamicSpatialSize = true }))
            runner.Session.InputMetadata[OnnxExporter.InputName].Dimensions.Should().Equal(-1, 3, -1, -1);
    }

    public static IEnumerable<object[]> Operations() => OperationCases.Keys.Select(name => new object[] { name });

    private delegate GraphValue Describer(ForwardGraph graph, OpModule module, GraphValue x);

    // The forwards hold every scalar they pass to TorchSharp (and add with a held alpha): a temporary Scalar can be freed
    // by the finalizer thread during the call.
    private static readonly Scalar One = 1, MinusOne = -1, Two = 2, Three = 3, Half = 0.5, Quarter = 0.25, Tenth = 0.1;

    private static readonly Dictionary<string, (Func<Tensor, OpModule, Tensor> Forward, Describer Describe)> OperationCases = new()
    {
        ["Parameter and Buffer"] = ((x, m) => (x * m.Alpha).add(m.Beta!, One), (g, m, x) => g.Add(g.Mul(x, g.Parameter("alpha")), g.Buffer("beta"))),
        ["Constant scalar"] = ((x, m) => x.add(Two, One).mul(Half).mul(m.Alpha), (g, m, x) => g.Mul(g.Mul(g.Add(x, g.Constant(2)), g.Constant(0.5)), g.Parameter("alpha"))),
        ["Constant tensor"] = ((x, m) => x * m.Alpha * arange(8, float32).reshape(1, 8, 1, 1),
            (g, m, x) => g.Mul(g.Mul(x, g.Parameter("alpha")), g.Constant(arange(8, float32).reshape(1, 8, 1, 1)))),
        ["Sub and Div"] = ((x, m) => x.add(m.Alpha, MinusOne).div(x.abs().add(One, One)), (g, m, x) => g.Div(g.Sub(x, g.Parameter("alpha")), g.Add(g.Abs(x), g.Constant(1)))),
        ["Exp, Neg, Abs"] = ((x, m) => (-(x * m.Alpha).abs()).exp(), (g, m, x) => g.Exp(g.Neg(g.Abs(g.Mul(x, g.Parameter("alpha")))))),
        ["Log"] = ((x, m) => x.abs().add(m.Alpha.abs(), One).add(Tenth, One).log(), (g, m, x) => g.Log(g.Add(g.Add(g.Abs(x), g.Abs(g.Parameter("alpha"))), g.Constant(0.1)))),
        ["Tanh"] = ((x, m) => (x * m.Alpha).tanh(), (g, m, x) => g.Tanh(g.Mul(x, g.Parameter("alpha")))),
        ["Sqrt"] = ((x, m) => (x * x).add(m.Alpha * m.Alpha, One).sqrt(), (g, m, x) => g.Sqrt(g.Add(g.Mul(x, x), g.Mul(g.Parameter("alpha"), g.Parameter("alpha"))))),
        ["Pow 3 and 0.5"] = ((x, m) => (x * m.Alpha).pow(Three).add(x.abs().pow(Half), One), (g, m, x) => g.Add(g.Pow(g.Mul(x, g.Parameter("alpha")), 3), g.Pow(g.Abs(x), 0.5))),
        ["Mean over the map, kept"] = ((x, m) => (x * m.Alpha).add((x * m.Alpha).mean(new long[] { 2, 3 }, keepdim: true), MinusOne),
            (g, m, x) => { var y = g.Mul(x, g.Parameter("alpha")); return g.Sub(y, g.Mean(y, new[] { 2, 3 }, keepDim: true)); }),
        ["Mean over channels, removed"] = ((x, m) => (x * m.Alpha).mean(new long[] { 1 }), (g, m, x) => g.Mean(g.Mul(x, g.Parameter("alpha")), new[] { 1 }, keepDim: false)),
        ["ReduceMax, Maximum, Minimum"] = ((x, m) => (x * m.Alpha).amax(new long[] { 1 }, keepdim: true).add(maximum(x, x.mul(Quarter)), One).add(minimum(x, m.Alpha), One),
            (g, m, x) => g.Add(g.Add(g.ReduceMax(g.Mul(x, g.Parameter("alpha")), new[] { 1 }, keepDim: true), g.Maximum(x, g.Mul(x, g.Constant(0.25)))),
                g.Minimum(x, g.Parameter("alpha")))),
        ["Unflatten channels"] = ((x, m) => (x * m.Alpha).reshape(x.shape[0], 2, 4, x.shape[2], x.shape[3]).softmax(1),
            (g, m, x) => g.Softmax(g.Unflatten(g.Mul(x, g.Parameter("alpha")), 1, 2, -1), 1)),
        ["Unflatten last axis"] = ((x, m) => (x * m.Alpha).reshape(x.shape[0], x.shape[1], x.shape[2], 5, 2), (g, m, x) => g.Unflatten(g.Mul(x, g.Parameter("alpha")), -1, 5, 2)),
        ["Slice rows 1..10 step 2"] = ((x, m) => (x * m.Alpha).slice(2, 1, 10, 2), (g, m, x) => g.Slice(g.Mul(x, g.Parameter("alpha")), 2, 1, 10, 2)),
        ["Slice last 3 columns"] = ((x, m) => (x * m.Alpha).slice(-1, -3, long.MaxValue, 1), (g, m, x) => g.Slice(g.Mul(x, g.Parameter("alpha")), -1, -3, long.MaxValue)),
        ["Slice channels past the end"] = ((x, m) => (x * m.Alpha).slice(1, 4, 100, 3), (g, m, x) => g.Slice(g.Mul(x, g.Parameter("alpha")), 1, 4, 100, 3)),
    };

    [Theory]
    [MemberData(nameof(Operations))]
    public void Operation_exports_and_equals_torchsharp_in_onnx_runtime_and_in_the_eager_evaluator(string name)
    {
        var (forward, describe) = OperationCases[name];
        manual_seed(13);
        using var network = nn.Sequential(("stem", nn.Conv2d(3, 8, 3, padding: 1)), ("op", new OpModule(8, forward, describe, withBuffer: name == "Parameter and Buffer")));
        AssertEager(network, name);
        using var runner = OrtRunner.For(network, Options);
        AssertMatches(network, runner, name);
    }

    public static IEnumerable<object[]> Layers() => LayerCases.Keys.Select(name => new object[] { name });

    private static readonly Dictionary<string, Func<nn.Module<Tensor, Tensor>>> LayerCases = new()
    {
        ["GroupNorm 4 groups"] = () => nn.GroupNorm(4, 8),
        ["GroupNorm 2 groups, no affine"] = () => nn.GroupNorm(2, 8, eps: 1e-3, affine: false),
        ["GroupNorm one group per channel"] = () => nn.GroupNorm(8, 8),
        ["LayerNorm over the last axis"] = () => nn.LayerNorm(new long[] { 10 }),
        ["LayerNorm over the map, no affine"] = () => nn.LayerNorm(new long[] { 12, 10 }, eps: 1e-3, elementwise_affine: false),
        ["Tanh"] = () => nn.Tanh(),
        ["Softmax over channels"] = () => nn.Softmax(1),
    };

    [Theory]
    [MemberData(nameof(Layers))]
    public void TorchSharp_normalisation_layer_exports_and_equals_torchsharp(string name)
    {
        manual_seed(15);
        using var network = nn.Sequential(("stem", nn.Conv2d(3, 8, 3, padding: 1)), ("layer", LayerCases[name]()));
        RandomizeAffine(network);
        AssertEager(network, name);
        using var runner = OrtRunner.For(network, Options);
        AssertMatches(network, runner, name);
    }

    [Fact]
    public void Verification_leaves_training_flags_as_they_were()
    {
        manual_seed(16);
        using var stem = new ConvNormAct(3, 8, 3);
        using var head = nn.Sequential(nn.Dropout(0.5), nn.Conv2d(8, 2, 1));
        using var network = nn.Sequential(("stem", stem), ("head", head));
        network.train();
        head.eval();
        OrtRunner.Export(network, Options);
        network.training.Should().BeTrue();
        stem.modules().Prepend(stem).Should().OnlyContain(m => m.training);
        head.modules().Prepend(head).Should().OnlyContain(m => !m.training);
    }

    private static OnnxExportOptions Options { get; } = new() { InputHeight = (int)Size[1], InputWidth = (int)Size[2] };

    /// <summary>A stem of library blocks, then the user's scale inside a head: <c>head.scale</c> is the module under test.</summary>
    private static nn.Module<Tensor, Tensor> ScaledNetwork(Describer describe, bool withBuffer = false)
    {
        manual_seed(7);
        var network = nn.Sequential(
            ("stem", new ConvNormAct(3, 8, 3)),
            ("block", new SqueezeExcite(8)),
            ("head", nn.Sequential(("scale", new OpModule(8, (x, m) => x * m.Alpha, describe, withBuffer)), ("pool", nn.AdaptiveAvgPool2d(1)), ("flatten", nn.Flatten()))));
        RandomNorms.Randomize(network, 7);
        return network;
    }

    private static void RandomizeAffine(nn.Module module)
    {
        using var noGrad = no_grad();
        using var generator = new Generator(19);
        foreach (var (name, parameter) in module.named_parameters())
            if (name.StartsWith("layer."))
                parameter.copy_(randn(parameter.shape, generator: generator));
    }

    private static void AssertEager(nn.Module<Tensor, Tensor> network, string what)
    {
        network.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var input = randn(new[] { 2L }.Concat(Size).ToArray(), generator: new Generator(23));
        TensorAssert.Close(DescriptionCheck.Evaluate(network, input), network.call(input), 1e-6, 1e-6, what + " (eager description)");
    }

    private static void AssertMatches(nn.Module<Tensor, Tensor> network, OrtRunner runner, string what)
    {
        network.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var input = randn(new[] { 2L }.Concat(Size).ToArray(), generator: new Generator(21));
        TensorAssert.Close(runner.RunSingle(input), network.call(input), Tolerance, Tolerance, what);
    }

    /// <summary>A user's module with a learned per-channel parameter <c>alpha</c> [1, C, 1, 1] and optionally a buffer <c>beta</c>.</summary>
    private sealed class OpModule : nn.Module<Tensor, Tensor>
    {
        private readonly Func<Tensor, OpModule, Tensor> compute;
        private readonly Describer describe;

        public OpModule(int channels, Func<Tensor, OpModule, Tensor> compute, Describer describe, bool withBuffer) : base(nameof(OpModule))
        {
            this.compute = compute;
            this.describe = describe;
            alpha = nn.Parameter(randn(1, channels, 1, 1));
            if (withBuffer)
                beta = randn(1, channels, 1, 1);
            RegisterComponents();
        }

#pragma warning disable IDE0044 // TorchSharp registers the fields by reflection.
        private Parameter alpha;
        private Tensor? beta;
#pragma warning restore IDE0044

        public Tensor Alpha => alpha;

        public Tensor? Beta => beta;

        public override Tensor forward(Tensor input) => compute(input, this);

        public GraphValue Describe(ForwardGraph graph, GraphValue x) => describe(graph, this, x);
    }
}

/// <summary>The last check before writing: a graph that reads a value nobody defined is never written.</summary>
public class GraphCheckTests
{
    [Fact]
    public void Node_reading_an_undefined_value_is_refused_naming_node_and_value()
    {
        var graph = new Proto.GraphProto();
        graph.Input.Add(new Proto.ValueInfoProto { Name = "input" });
        var relu = new Proto.NodeProto { Name = "head/Relu", OpType = "Relu" };
        relu.Input.Add("input");
        relu.Output.Add("head/Relu");
        var mul = new Proto.NodeProto { Name = "head/Mul", OpType = "Mul" };
        mul.Input.Add("head/Relu");
        mul.Input.Add("scale.alpha");
        mul.Output.Add("head/Mul");
        graph.Node.Add(relu);
        graph.Node.Add(mul);

        var act = () => Graph.GraphCheck.Validate(graph);

        act.Should().Throw<InvalidOperationException>().WithMessage(
            "The ONNX graph is invalid: node 'head/Mul' (Mul) reads 'scale.alpha', which no input, initializer or earlier node defines. " +
            "This is a bug of the exporter; nothing was written.");
    }

    [Fact]
    public void Output_never_computed_is_refused()
    {
        var graph = new Proto.GraphProto();
        graph.Input.Add(new Proto.ValueInfoProto { Name = "input" });
        graph.Output.Add(new Proto.ValueInfoProto { Name = "logits" });
        var act = () => Graph.GraphCheck.Validate(graph);
        act.Should().Throw<InvalidOperationException>().WithMessage(
            "The ONNX graph is invalid: output 'logits' is never computed. This is a bug of the exporter; nothing was written.");
    }
}
