using System;
using System.Collections.Concurrent;
using System.Linq;
using System.Threading;
using FluentAssertions;
using ResNeStBlocks.Layers;
using ResNeStBlocks.Testing;
using ResNeStBlocks.Weights;
using Xunit;
using static TorchSharp.torch;

namespace ResNeStBlocks.Tests.Weights;

/// <summary>
/// What the thread-safety remarks on <see cref="StateDictLoader"/> and <see cref="SafeTensors"/> promise: modules
/// loaded from the same file infer on several threads at once with results bit-identical to a sequential run.
/// </summary>
public class ConcurrentInferenceTests
{
    private const int Threads = 4;
    private const int Iterations = 6;

    private static SplitAttention Loaded()
    {
        var module = new SplitAttention(64, options: new SplitAttentionOptions(Radix: 2));
        StateDictLoader.LoadFile(module, Fixtures.File("timm", "blocks", "splat_r2_g1.safetensors"));
        module.eval();
        return module;
    }

    private static byte[] Forward(SplitAttention module, Tensor input)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        return module.forward(input).contiguous().bytes.ToArray();
    }

    /// <summary>Runs <paramref name="body"/> on <see cref="Threads"/> threads released together; returns what they threw.</summary>
    private static Exception[] RunTogether(Action<int> body)
    {
        using var start = new Barrier(Threads);
        var errors = new ConcurrentBag<Exception>();
        var threads = Enumerable.Range(0, Threads).Select(t => new Thread(() =>
        {
            try
            {
                start.SignalAndWait();
                body(t);
            }
            catch (Exception e)
            {
                errors.Add(e);
            }
        })).ToArray();
        foreach (var thread in threads) thread.Start();
        foreach (var thread in threads) thread.Join();
        return errors.ToArray();
    }

    /// <summary>One input per thread (shifted copies of the fixture input, owned by the caller's dispose scope), so that a thread reading another's data would show.</summary>
    private static Tensor[] Inputs()
    {
        using var io = new DisposableDictionary(SafeTensors.Load(Fixtures.File("timm", "blocks", "splat_r2_g1.io.safetensors")));
        return Enumerable.Range(0, Threads).Select(t => io.Tensors["input"] + 0.25 * t).ToArray();
    }

    [Fact]
    public void Separate_instances_on_four_threads_match_the_sequential_run_bit_for_bit()
    {
        using var scope = NewDisposeScope();
        var modules = Enumerable.Range(0, Threads).Select(_ => Loaded()).ToArray();
        var inputs = Inputs();
        var expected = Enumerable.Range(0, Threads).Select(t => Forward(modules[t], inputs[t])).ToArray();
        expected.Distinct(new BytesComparer()).Should().HaveCount(Threads, "each thread's input differs, so must its output");
        using (var io = new DisposableDictionary(SafeTensors.Load(Fixtures.File("timm", "blocks", "splat_r2_g1.io.safetensors"))))
        {
            var (atol, rtol) = Fixtures.Tolerance;
            using var _ = no_grad();
            TensorAssert.Close(modules[0].forward(io.Tensors["input"]), io.Tensors["output"], atol, rtol, "the loaded weights reproduce timm");
        }

        var mismatches = new ConcurrentBag<string>();
        var errors = RunTogether(t =>
        {
            for (int i = 0; i < Iterations; i++)
                if (!Forward(modules[t], inputs[t]).AsSpan().SequenceEqual(expected[t]))
                    mismatches.Add($"thread {t}, iteration {i}");
        });

        errors.Should().BeEmpty();
        mismatches.Should().BeEmpty();
        foreach (var module in modules) module.Dispose();
    }

    [Fact]
    public void One_instance_in_eval_mode_under_no_grad_serves_four_threads_bit_for_bit()
    {
        using var scope = NewDisposeScope();
        using var module = Loaded();
        var inputs = Inputs();
        var expected = Enumerable.Range(0, Threads).Select(t => Forward(module, inputs[t])).ToArray();

        var mismatches = new ConcurrentBag<string>();
        var errors = RunTogether(t =>
        {
            for (int i = 0; i < Iterations; i++)
                if (!Forward(module, inputs[t]).AsSpan().SequenceEqual(expected[t]))
                    mismatches.Add($"thread {t}, iteration {i}");
        });

        errors.Should().BeEmpty();
        mismatches.Should().BeEmpty();
    }

    private sealed class BytesComparer : System.Collections.Generic.IEqualityComparer<byte[]>
    {
        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);
        public int GetHashCode(byte[] obj) => obj.Length;
    }

    private sealed class DisposableDictionary(System.Collections.Generic.Dictionary<string, Tensor> tensors) : IDisposable
    {
        public System.Collections.Generic.Dictionary<string, Tensor> Tensors { get; } = tensors;
        public void Dispose()
        {
            foreach (var t in Tensors.Values) t.Dispose();
        }
    }
}
