using System.Linq;
using FluentAssertions;
using ResNeStBlocks.Backbones;
using ResNeStBlocks.Zoo;
using Xunit;
using static TorchSharp.torch;

namespace ResNeStBlocks.Tests.Backbones;

/// <summary>
/// A ResNet registered inside another module (TorchSharp's register_module, which RegisterComponents also calls for a
/// parent's fields) keeps exactly its own keys under the parent's prefix: nothing is registered a second time under a
/// field's name.
/// </summary>
public class ParentModuleTests
{
    [Theory]
    [InlineData("resnest14d")]
    [InlineData("resnet18")]
    public void Keys_inside_a_parent_are_the_networks_own_keys_with_the_prefix(string name)
    {
        using var network = ModelZoo.Create(name, numClasses: 10);
        var own = network.state_dict().Select(kv => "backbone." + kv.Key).ToList();
        using var parent = new Parent(network);
        parent.state_dict().Keys.Should().BeEquivalentTo(own);
        parent.parameters().Count().Should().Be(network.parameters().Count());
    }

    private sealed class Parent : nn.Module<Tensor, Tensor>
    {
        public Parent(ResNet backbone) : base(nameof(Parent)) => register_module("backbone", backbone);

        public override Tensor forward(Tensor input) => throw new System.NotSupportedException();
    }
}
