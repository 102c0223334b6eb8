using TorchSharp;
using static TorchSharp.torch;

namespace ResNeStBlocks.Dense;

/// <summary>
/// A 3 x 3 convolution with stride 1 and padding equal to its dilation, as nine matrix products over shifted views of
/// one zero-padded channels-last copy of the input, with no im2col buffer.
/// </summary>
/// <remarks>
/// With the padded images laid out as rows of <c>C</c> channels, the input of output pixel <c>(i, j)</c> under kernel
/// tap <c>(ky, kx)</c> lies a fixed number of rows further on, <c>ky * d * Wp + kx * d</c>, for every pixel of every
/// image; each tap is therefore one matrix product of a contiguous slice with the tap's <c>[C, O]</c> weights, summed
/// over the taps. Outputs are computed for the padded grid and cut to <c>H x W</c> (the padding ring is the wasted
/// work). On the CPU without oneDNN this replaces libtorch's im2col convolution, whose unfolding costs more than its
/// matrix product at the mask head's sizes (100 x 256 x 14 x 14: about half the time). Autograd flows through the
/// products.
/// </remarks>
internal static class ShiftedConvolution
{
    private static readonly Scalar One = 1.0;

    /// <param name="input">[N, C, H, W].</param>
    /// <param name="weight">[O, C, 3, 3].</param>
    /// <param name="bias">[O] or null.</param>
    /// <param name="dilation">The convolution's dilation, also its padding.</param>
    /// <returns>[N, O, H, W], a channels-last view.</returns>
    public static Tensor Forward(Tensor input, Tensor weight, Tensor? bias, long dilation)
    {
        using var scope = NewDisposeScope();
        long n = input.size(0), channels = input.size(1), height = input.size(2), width = input.size(3);
        long outputs = weight.size(0);
        long paddedHeight = height + 2 * dilation, paddedWidth = width + 2 * dilation;
        long rows = n * paddedHeight * paddedWidth;
        long reach = 2 * dilation * paddedWidth + 2 * dilation;
        var padded = nn.functional.pad(input.permute(0, 2, 3, 1), new[] { 0, 0, dilation, dilation, dilation, dilation });
        // Zero rows after the last image, so that every tap's slice of the padded grid exists.
        var flat = cat(new[] { padded.reshape(rows, channels), zeros(new[] { reach, channels }, input.dtype, input.device) }, 0);
        var taps = weight.permute(2, 3, 1, 0);
        Tensor? sum = null;
        for (int ky = 0; ky < 3; ky++)
            for (int kx = 0; kx < 3; kx++)
            {
                var shifted = flat.narrow(0, (ky * paddedWidth + kx) * dilation, rows);
                sum = sum is null ? shifted.matmul(taps[ky, kx]) : sum.addmm_(shifted, taps[ky, kx]);
            }
        if (bias is not null)
            sum = sum!.add_(bias, One);
        return sum!.view(n, paddedHeight, paddedWidth, outputs).narrow(1, 0, height).narrow(2, 0, width).permute(0, 3, 1, 2)
            .MoveToOuterDisposeScope();
    }
}
