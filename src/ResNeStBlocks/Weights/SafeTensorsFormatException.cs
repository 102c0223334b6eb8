namespace ResNeStBlocks.Weights;

/// <summary>
/// A safetensors file is malformed: its header, a tensor entry or its data region breaks the format.
/// The message names the file, the tensor key where there is one, and the problem.
/// </summary>
public sealed class SafeTensorsFormatException : WeightsFormatException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong, naming the key where there is one.</param>
    public SafeTensorsFormatException(string message) : base(message) { }

    /// <summary>Creates the exception with its cause.</summary>
    /// <param name="message">What is wrong.</param>
    /// <param name="inner">The underlying error.</param>
    public SafeTensorsFormatException(string message, System.Exception inner) : base(message, inner) { }
}
