using System;

namespace ResNeStBlocks.Vision;

/// <summary>
/// A Pascal VOC annotation, split file or folder is malformed. The message is one line naming the file, the element
/// (such as <c>object[2]/bndbox/xmax</c>), what was expected and what came.
/// </summary>
public sealed class VocFormatException : FormatException
{
    /// <summary>Creates the exception with its one-line message.</summary>
    /// <param name="message">The message.</param>
    public VocFormatException(string message) : base(message) { }

    /// <summary>Creates the exception with its one-line message and the parser's exception.</summary>
    /// <param name="message">The message.</param>
    /// <param name="inner">The parser's exception.</param>
    public VocFormatException(string message, Exception inner) : base(message, inner) { }
}
