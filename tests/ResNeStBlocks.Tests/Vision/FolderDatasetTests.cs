using System;
using System.Globalization;
using System.IO;
using System.Linq;
using FluentAssertions;
using ResNeStBlocks.Vision;
using Xunit;

namespace ResNeStBlocks.Tests.Vision;

/// <summary>
/// The image/mask and class folders without decoding: the caller's decoder is a stand-in that reads a mask file's text
/// as its largest class index ("bad" for a file that does not decode), so the folders' own listing, splits and messages show.
/// </summary>
public sealed class FolderDatasetTests : IDisposable
{
    private readonly string root = Path.Combine(Path.GetTempPath(), "rnb-folders-" + Guid.NewGuid().ToString("N"));

    public FolderDatasetTests() => Directory.CreateDirectory(root);

    public void Dispose() => Directory.Delete(root, recursive: true);

    private static int Inspect(SegmentationPair pair)
    {
        string text = File.ReadAllText(pair.Mask);
        return text == "bad"
            ? throw new InvalidDataException($"Cannot read mask {pair.Mask}: not a PNG file.")
            : int.Parse(text, CultureInfo.InvariantCulture);
    }

    private string Pairs(string folder, params (string Name, string Mask)[] pairs)
    {
        string dir = Path.Combine(root, folder);
        Directory.CreateDirectory(Path.Combine(dir, "images"));
        Directory.CreateDirectory(Path.Combine(dir, "masks"));
        foreach (var (name, mask) in pairs)
        {
            File.WriteAllText(Path.Combine(dir, "images", name + ".jpg"), "image");
            File.WriteAllText(Path.Combine(dir, "masks", name + ".png"), mask);
        }
        return dir;
    }

    [Fact]
    public void Without_classes_txt_the_classes_are_the_indices_and_a_seeded_share_is_held_out()
    {
        string dir = Pairs("data", Enumerable.Range(0, 10).Select(i => ($"img{i}", (i % 3).ToString(CultureInfo.InvariantCulture))).ToArray());
        File.WriteAllText(Path.Combine(dir, "masks", "orphan.png"), "1");

        var folder = SegmentationFolder.Scan(dir, 0.2, seed: 1, Inspect);
        var again = SegmentationFolder.Scan(dir, 0.2, seed: 1, Inspect);

        folder.Classes.Should().Equal("0", "1", "2");
        folder.NamedClasses.Should().BeFalse();
        (folder.Train.Count, folder.Val.Count).Should().Be((8, 2));
        folder.Val.Should().Equal(again.Val);
        folder.HasValFolder.Should().BeFalse();
        folder.MasksWithoutImage.Should().Equal(Path.Combine(dir, "masks", "orphan.png"));
        folder.Train.Should().OnlyContain(p => Path.GetFileNameWithoutExtension(p.Image) == Path.GetFileNameWithoutExtension(p.Mask));
    }

    [Fact]
    public void A_class_index_beyond_classes_txt_and_the_first_undecodable_mask_in_file_order_are_named()
    {
        string dir = Pairs("named", ("a", "1"), ("b", "4"), ("c", "2"));
        File.WriteAllLines(Path.Combine(dir, "classes.txt"), new[] { "background", "cat", "dog" });
        string bad = Pairs("bad", ("a", "1"), ("b", "bad"), ("c", "bad"));

        var index = () => SegmentationFolder.Scan(dir, 0.2, seed: 1, Inspect);
        var decode = () => SegmentationFolder.Scan(bad, 0.2, seed: 1, Inspect);

        index.Should().Throw<InvalidDataException>().WithMessage(
            $"Mask {Path.Combine(dir, "masks", "b.png")} holds class index 4, but {Path.Combine(dir, "classes.txt")} names 3 classes (0-2); 255 marks pixels to ignore. Fix the mask or name the class in classes.txt.");
        decode.Should().Throw<InvalidDataException>().WithMessage($"Cannot read mask {Path.Combine(bad, "masks", "b.png")}: not a PNG file.");
    }

    [Fact]
    public void An_image_without_a_mask_is_named()
    {
        string dir = Pairs("unmatched", ("a", "1"), ("b", "1"));
        File.Delete(Path.Combine(dir, "masks", "b.png"));

        var scan = () => SegmentationFolder.Scan(dir, 0.2, seed: 1, Inspect);

        scan.Should().Throw<InvalidDataException>().WithMessage(
            $"1 image(s) in {Path.Combine(dir, "images")} have no mask in {Path.Combine(dir, "masks")} (a PNG of the same base name), such as b.jpg; add the masks or remove the images.");
    }

    [Fact]
    public void Image_folders_skip_what_the_decoder_refuses_and_hold_out_a_share_of_each_class()
    {
        foreach (var (name, count) in new[] { ("cat", 6), ("dog", 5) })
        {
            Directory.CreateDirectory(Path.Combine(root, name));
            for (int i = 0; i < count; i++)
                File.WriteAllText(Path.Combine(root, name, $"{i}.png"), "image");
        }
        File.WriteAllText(Path.Combine(root, "dog", "notes.txt"), "not an image");

        var folder = ImageFolder.Scan(root, 0.2, seed: 1, path => !path.EndsWith(".txt", StringComparison.Ordinal));

        folder.Classes.Should().Equal("cat", "dog");
        folder.Skipped.Should().Equal(Path.Combine(root, "dog", "notes.txt"));
        (folder.Train.Count, folder.Val.Count).Should().Be((9, 2));
        folder.Val.Select(i => i.Label).Should().Equal(0, 1);
        var oneClass = () => ImageFolder.Scan(Path.Combine(root, "cat"), 0.2, seed: 1, _ => true);
        oneClass.Should().Throw<ArgumentException>().WithMessage($"{Path.Combine(root, "cat")} contains no class folders. Expected one sub-folder per class with its images, such as {Path.Combine(root, "cat", "cat", "1.jpg")}. (Parameter 'root')");
    }
}
