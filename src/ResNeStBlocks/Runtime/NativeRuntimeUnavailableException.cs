using System;

namespace ResNeStBlocks.Runtime;

/// <summary>
/// TorchSharp could not load its native libraries (libtorch and its glue), so no torch call can work in this
/// process. The message says why, as far as can be told, and the fix; the inner exception is TorchSharp's.
/// </summary>
public sealed class NativeRuntimeUnavailableException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">The cause and the fix.</param>
    /// <param name="inner">TorchSharp's load failure.</param>
    public NativeRuntimeUnavailableException(string message, Exception inner) : base(message, inner) { }
}
