using System;
using System.IO;

namespace ResNeStBlocks.Weights;

/// <summary>
/// A weights file is malformed or holds something a weights file must not. Each format has its own subclass
/// (<see cref="SafeTensorsFormatException"/>, <see cref="PyTorchCheckpointFormatException"/>), so a caller that
/// accepts either format, as <see cref="ModuleWeights.LoadWeights"/> does, catches this one type.
/// </summary>
public abstract class WeightsFormatException : IOException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong, naming the file and, where there is one, the tensor.</param>
    protected WeightsFormatException(string message) : base(message) { }

    /// <summary>Creates the exception with its cause.</summary>
    /// <param name="message">What is wrong.</param>
    /// <param name="inner">The underlying error.</param>
    protected WeightsFormatException(string message, Exception inner) : base(message, inner) { }
}
