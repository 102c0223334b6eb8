using System.IO;

namespace ResNeStBlocks.Vision;

/// <summary>
/// Decodes one image and mask pair for <see cref="SegmentationFolder.Scan"/>: reads the mask's class indices and the
/// image's size, and returns the largest class index the mask holds other than <see cref="SegmentationFolder.IgnoreIndex"/>
/// (-1 when it holds none). Called on several threads at once.
/// </summary>
/// <param name="pair">The image and its mask.</param>
/// <returns>The mask's largest class index, or -1.</returns>
/// <exception cref="InvalidDataException">The mask or the image does not decode, or the mask's size is not the image's;
/// the one-line message names the file and the fix, and the scan reports it as it is.</exception>
public delegate int SegmentationPairInspector(SegmentationPair pair);
