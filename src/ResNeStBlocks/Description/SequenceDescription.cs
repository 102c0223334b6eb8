using System.Linq;
using TorchSharp;
using TorchSharp.Modules;

namespace ResNeStBlocks.Description;

/// <summary>How a <see cref="Sequential"/> is described: its children in order, each convolution paired with the BatchNorm right after it.</summary>
internal static class SequenceDescription
{
    /// <summary>
    /// The children in order; a convolution followed directly by a BatchNorm is one pair. A BatchNorm that follows the
    /// sequence from outside (a ResNet stem's <c>bn1</c> after the deep stem's convolutions) pairs with its last convolution.
    /// </summary>
    public static GraphValue Describe(ForwardGraph graph, Sequential sequence, GraphValue input, BatchNorm2d? trailingNorm = null)
    {
        var children = sequence.children().ToList();
        var x = input;
        for (int i = 0; i < children.Count; i++)
        {
            if (children[i] is Conv2d conv)
            {
                BatchNorm2d? norm = i + 1 < children.Count ? children[i + 1] as BatchNorm2d : trailingNorm;
                if (norm is not null)
                {
                    x = graph.Convolution(conv, x, norm);
                    if (i + 1 < children.Count)
                        i++;
                    else
                        trailingNorm = null;
                    continue;
                }
            }
            x = graph.Call(children[i], x);
        }
        return trailingNorm is null ? x : graph.BatchNorm(trailingNorm, x);
    }
}
