namespace ResNeStBlocks.Vision;

/// <summary>One labelled image file.</summary>
/// <param name="Path">The file.</param>
/// <param name="Label">Class index (position of the class folder in <see cref="ImageFolder.Classes"/>).</param>
public sealed record LabelledImage(string Path, int Label);
