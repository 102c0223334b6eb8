namespace ResNeStBlocks.Evaluation;

/// <summary>An entry of a COCO instances file's <c>categories</c>.</summary>
/// <param name="Id">The category id that annotations and results name.</param>
/// <param name="Name">The category's name (empty when absent).</param>
public sealed record CocoCategory(long Id, string Name);
