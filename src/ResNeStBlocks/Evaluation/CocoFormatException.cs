using System;

namespace ResNeStBlocks.Evaluation;

/// <summary>
/// A COCO instances file or results file is malformed. The message is one line naming the file, the field (as a JSON
/// path such as <c>annotations[3].bbox</c>), what was expected and what came.
/// </summary>
public sealed class CocoFormatException : FormatException
{
    /// <summary>Creates the exception with its one-line message.</summary>
    public CocoFormatException(string message) : base(message) { }

    /// <summary>Creates the exception with its one-line message and the parser's exception.</summary>
    public CocoFormatException(string message, Exception inner) : base(message, inner) { }
}
