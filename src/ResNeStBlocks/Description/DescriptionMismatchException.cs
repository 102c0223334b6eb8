using System;

namespace ResNeStBlocks.Description;

/// <summary>
/// A module's description does not compute what its forward computes (<see cref="DescriptionCheck.Verify"/>, and ONNX
/// export before it writes a file). The message names the first module, innermost and earliest in forward order,
/// whose description differs from its own forward on the same input, and the largest difference.
/// </summary>
public sealed class DescriptionMismatchException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="modulePath">The path of the module that differs (<c>""</c> for the root).</param>
    /// <param name="moduleType">Its type.</param>
    /// <param name="largestDifference">The largest absolute difference between description and forward (infinity when the shapes differ).</param>
    /// <param name="message">The message.</param>
    public DescriptionMismatchException(string modulePath, Type moduleType, double largestDifference, string message) : base(message)
    {
        ModulePath = modulePath;
        ModuleType = moduleType;
        LargestDifference = largestDifference;
    }

    /// <summary>The path of the module whose description differs from its forward (<c>""</c> for the root).</summary>
    public string ModulePath { get; }

    /// <summary>The type of that module.</summary>
    public Type ModuleType { get; }

    /// <summary>The largest absolute difference on the probe input (infinity when the shapes differ).</summary>
    public double LargestDifference { get; }
}
