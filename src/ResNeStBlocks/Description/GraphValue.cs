namespace ResNeStBlocks.Description;

/// <summary>
/// A tensor inside a described forward pass. Module descriptions only pass values between the operations of a
/// <see cref="ForwardGraph"/>; what the identifier means belongs to the graph (a node output's name in an ONNX graph).
/// </summary>
/// <param name="Id">The graph's name for the value.</param>
public readonly record struct GraphValue(string Id);
