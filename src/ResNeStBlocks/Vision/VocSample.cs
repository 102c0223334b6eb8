using System.Collections.Generic;

namespace ResNeStBlocks.Vision;

/// <summary>One image of a <see cref="VocDataset"/>: its id, image file, annotation and the objects' labels.</summary>
/// <param name="Id">The id from the split file (<c>2008_000008</c>).</param>
/// <param name="ImagePath">The image file (<c>JPEGImages/ID.jpg</c>).</param>
/// <param name="Annotation">The parsed <c>Annotations/ID.xml</c>.</param>
/// <param name="Labels">Each object's label in the dataset's <see cref="ClassTable"/>, in <see cref="VocAnnotation.Objects"/> order.</param>
public sealed record VocSample(string Id, string ImagePath, VocAnnotation Annotation, IReadOnlyList<int> Labels);
