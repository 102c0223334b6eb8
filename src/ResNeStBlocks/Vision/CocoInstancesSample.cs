using System.Collections.Generic;
using ResNeStBlocks.Evaluation;

namespace ResNeStBlocks.Vision;

/// <summary>One image of a <see cref="CocoInstancesDataset"/>: its entry, image file, annotations and their labels.</summary>
/// <param name="Image">The file's <c>images</c> entry (id, size, <c>file_name</c>).</param>
/// <param name="ImagePath">The image file: <c>file_name</c> under the dataset's image folder.</param>
/// <param name="Objects">Every annotation on the image in file order, crowds included (the evaluation needs them).</param>
/// <param name="Labels">Each object's label in the dataset's <see cref="ClassTable"/>, in <paramref name="Objects"/> order.</param>
public sealed record CocoInstancesSample(CocoImage Image, string ImagePath, IReadOnlyList<CocoAnnotation> Objects, IReadOnlyList<int> Labels)
{
    /// <summary>Whether the image has no object a detector trains on (no annotation, or only crowds): a pure negative.</summary>
    public bool IsEmpty
    {
        get
        {
            foreach (var o in Objects)
                if (!o.IsCrowd)
                    return false;
            return true;
        }
    }
}
