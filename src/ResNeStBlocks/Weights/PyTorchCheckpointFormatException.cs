namespace ResNeStBlocks.Weights;

/// <summary>
/// A PyTorch checkpoint (<c>.pth</c>, written by <c>torch.save</c>) is malformed, or its pickle asks for something a
/// state dict never needs (any global other than the few <see cref="PyTorchCheckpoint"/> allows, such as
/// <c>os.system</c>). Nothing in the file was executed and no tensor is left allocated. The message names the file,
/// the entry or tensor where there is one, and the problem.
/// </summary>
public sealed class PyTorchCheckpointFormatException : WeightsFormatException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong.</param>
    public PyTorchCheckpointFormatException(string message) : base(message) { }

    /// <summary>Creates the exception with its cause.</summary>
    /// <param name="message">What is wrong.</param>
    /// <param name="inner">The underlying error.</param>
    public PyTorchCheckpointFormatException(string message, System.Exception inner) : base(message, inner) { }
}
