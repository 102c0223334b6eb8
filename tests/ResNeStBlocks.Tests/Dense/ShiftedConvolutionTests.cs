using FluentAssertions;
using ResNeStBlocks.Dense;
using ResNeStBlocks.Testing;
using Xunit;
using static TorchSharp.torch;

namespace ResNeStBlocks.Tests.Dense;

/// <summary>
/// The mask head's CPU convolution without oneDNN (nine shifted matrix products) against libtorch's conv2d with the
/// same padding and dilation, in float64: outputs and the gradients of input, weight and bias.
/// </summary>
public class ShiftedConvolutionTests
{
    [Theory]
    [InlineData(1, true)]
    [InlineData(2, true)]
    [InlineData(1, false)]
    public void Equals_conv2d_with_padding_equal_to_its_dilation_forward_and_backward(int dilation, bool withBias)
    {
        using var scope = NewDisposeScope();
        var generator = new Generator(11);
        // Two images, odd sizes, more outputs than inputs: every tap reaches the zero ring and the next image's rows.
        var input = randn(new long[] { 2, 5, 7, 6 }, ScalarType.Float64, generator: generator).requires_grad_();
        var weight = randn(new long[] { 4, 5, 3, 3 }, ScalarType.Float64, generator: generator).requires_grad_();
        var bias = withBias ? randn(new long[] { 4 }, ScalarType.Float64, generator: generator).requires_grad_() : null;
        var upstream = randn(new long[] { 2, 4, 7, 6 }, ScalarType.Float64, generator: generator);

        var shifted = ShiftedConvolution.Forward(input, weight, bias, dilation);
        var shiftedGrads = autograd.grad(new[] { shifted }, bias is null ? new[] { input, weight } : new[] { input, weight, bias }, new[] { upstream });
        var reference = nn.functional.conv2d(input, weight, bias, padding: new long[] { dilation, dilation }, dilation: new long[] { dilation, dilation });
        var referenceGrads = autograd.grad(new[] { reference }, bias is null ? new[] { input, weight } : new[] { input, weight, bias }, new[] { upstream });

        shifted.shape.Should().Equal(2, 4, 7, 6);
        TensorAssert.Close(shifted, reference, 1e-12, 0, "output");
        for (int i = 0; i < referenceGrads.Count; i++)
            TensorAssert.Close(shiftedGrads[i], referenceGrads[i], 1e-12, 0, $"gradient {i}");
    }
}
