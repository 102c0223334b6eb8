using System;
using System.IO;
using FluentAssertions;
using ResNeStBlocks.Training;
using ResNeStBlocks.Weights;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;
using ResNeStBlocks.Testing;

namespace ResNeStBlocks.Tests.Weights;

/// <summary>A custom module that forgot <c>RegisterComponents()</c> is refused by name instead of saving an empty file.</summary>
public sealed class UnregisteredModuleTests : IDisposable
{
    private readonly TempFolder temp = new("unregistered");

    public void Dispose() => temp.Dispose();

    private const string Fix = "A module that keeps its layers in fields must call RegisterComponents() at the end of its constructor; " +
        "TorchSharp finds parameters only through registration. (Parameter 'module')";

    [Fact]
    public void Saving_it_is_refused_and_writes_nothing()
    {
        using var module = new Forgetful();
        string path = Path.Combine(temp.Path, "weights.safetensors");

        FluentActions.Invoking(() => module.SaveWeights(path)).Should().ThrowExactly<ArgumentException>()
            .WithMessage("Forgetful has no registered parameters or buffers, so there is nothing to save. " + Fix);
        File.Exists(path).Should().BeFalse();
    }

    [Fact]
    public void Loading_into_it_is_refused()
    {
        string path = Path.Combine(temp.Path, "weights.safetensors");
        using (var registered = new Forgetful(register: true))
            registered.SaveWeights(path);
        using var module = new Forgetful();

        FluentActions.Invoking(() => module.LoadWeights(path)).Should().ThrowExactly<ArgumentException>()
            .WithMessage("Forgetful has no registered parameters or buffers, so there is nothing to load the weights into. " + Fix);
    }

    [Fact]
    public void Splitting_it_into_weight_decay_groups_is_refused()
    {
        using var module = new Forgetful();

        FluentActions.Invoking(() => WeightDecayGroups.Split(module)).Should().ThrowExactly<ArgumentException>()
            .WithMessage("Forgetful has no registered parameters, so there is nothing to train. " + Fix.Replace("'module'", "'model'", StringComparison.Ordinal));
    }

    /// <summary>The first-hour mistake: a layer in a field, and no <c>RegisterComponents()</c> unless asked.</summary>
    private sealed class Forgetful : nn.Module<Tensor, Tensor>
    {
        private readonly Linear fc = nn.Linear(4, 2);

        public Forgetful(bool register = false) : base(nameof(Forgetful))
        {
            if (register)
                RegisterComponents();
        }

        public override Tensor forward(Tensor input) => fc.call(input);
    }
}
