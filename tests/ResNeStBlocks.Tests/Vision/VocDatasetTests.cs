using System;
using System.IO;
using System.Linq;
using FluentAssertions;
using ResNeStBlocks.Vision;
using Xunit;

namespace ResNeStBlocks.Tests.Vision;

public sealed class VocDatasetTests : IDisposable
{
    private readonly string root = Path.Combine(Path.GetTempPath(), "rnb-voc-" + Guid.NewGuid().ToString("N"));

    public VocDatasetTests()
    {
        Directory.CreateDirectory(Path.Combine(root, "Annotations"));
        Directory.CreateDirectory(Path.Combine(root, "JPEGImages"));
        Directory.CreateDirectory(Path.Combine(root, "ImageSets", "Main"));
    }

    public void Dispose() => Directory.Delete(root, recursive: true);

    private static string Object(string name, string box, int difficult = 0, int truncated = 0) =>
        $"<object><name>{name}</name><truncated>{truncated}</truncated><difficult>{difficult}</difficult>{box}</object>";

    private static string Box(string xmin, string ymin, string xmax, string ymax) =>
        $"<bndbox><xmin>{xmin}</xmin><ymin>{ymin}</ymin><xmax>{xmax}</xmax><ymax>{ymax}</ymax></bndbox>";

    private string Write(string id, params string[] objects)
    {
        string path = Path.Combine(root, "Annotations", id + ".xml");
        File.WriteAllText(path,
            $"<annotation><folder>VOC2012</folder><filename>{id}.jpg</filename><size><width>500</width><height>375</height><depth>3</depth></size>{string.Concat(objects)}</annotation>");
        File.WriteAllBytes(Path.Combine(root, "JPEGImages", id + ".jpg"), new byte[] { 0xFF, 0xD8 });
        return path;
    }

    private void Split(string name, params string[] ids) =>
        File.WriteAllLines(Path.Combine(root, "ImageSets", "Main", name + ".txt"), ids);

    private string ErrorOf(Action action) => action.Should().Throw<VocFormatException>().Which.Message;

    [Fact]
    public void Reads_objects_with_flags_and_converts_one_based_inclusive_boxes()
    {
        string path = Write("a", Object("dog", Box("1", "2", "3", "10"), difficult: 1), Object("person", Box("48.5", "240", "195", "371"), truncated: 1));

        var annotation = VocAnnotation.Load(path);

        annotation.FileName.Should().Be("a.jpg");
        (annotation.Width, annotation.Height, annotation.Depth).Should().Be((500, 375, 3));
        annotation.Objects.Should().Equal(
            new VocObject("dog", 0, 1, 3, 10, Difficult: true, Truncated: false),
            new VocObject("person", 47.5, 239, 195, 371, Difficult: false, Truncated: true));
    }

    [Fact]
    public void Opens_a_split_with_voc_labels_and_builds_targets()
    {
        Write("a", Object("dog", Box("1", "2", "3", "10")), Object("aeroplane", Box("5", "5", "9", "9"), difficult: 1));
        Write("b");
        Split("train", "a", "", "b");

        var dataset = VocDataset.Open(root, "train");

        dataset.Count.Should().Be(2);
        dataset.Samples[0].Labels.Should().Equal(12, 1);
        dataset.Samples[1].Annotation.Objects.Should().BeEmpty();
        dataset.Samples[0].ImagePath.Should().Be(Path.Combine(root, "JPEGImages", "a.jpg"));
        var all = dataset.Target(0);
        using (all.Boxes)
        using (all.Labels)
        {
            all.Boxes.data<float>().ToArray().Should().Equal(0, 1, 3, 10, 4, 4, 9, 9);
            all.Labels.data<long>().ToArray().Should().Equal(12, 1);
        }
        var easy = dataset.Target(0, includeDifficult: false);
        using (easy.Boxes)
        using (easy.Labels)
            easy.Labels.data<long>().ToArray().Should().Equal(12);
        var empty = dataset.Target(1);
        using (empty.Boxes)
        using (empty.Labels)
            empty.Boxes.shape.Should().Equal(0, 4);
    }

    [Fact]
    public void Class_tables_put_background_first()
    {
        ClassTable.PascalVoc.Count.Should().Be(21);
        ClassTable.PascalVoc.Names[0].Should().Be("__background__");
        ClassTable.PascalVoc.Names[20].Should().Be("tvmonitor");
        var custom = new ClassTable(new[] { "cell", "nucleus" });
        custom.TryGetLabel("nucleus", out int label).Should().BeTrue();
        label.Should().Be(2);
        FluentActions.Invoking(() => new ClassTable(new[] { "cell", "cell" })).Should().Throw<ArgumentException>()
            .Which.Message.Should().Be("Expected distinct class names, got 'cell' twice (positions 0 and 1). (Parameter 'classes')");
    }

    [Fact]
    public void Custom_classes_label_objects_and_unknown_ones_are_named()
    {
        string path = Write("a", Object("cell", Box("1", "1", "2", "2")), Object("dog", Box("1", "1", "2", "2")));
        Split("train", "a");

        ErrorOf(() => VocDataset.Open(root, "train", new ClassTable(new[] { "cell" })))
            .Should().Be($"{path}: object[1]/name 'dog' is not a known class; expected one of: cell.");
    }

    [Fact]
    public void A_missing_bndbox_is_named()
    {
        string path = Write("a", Object("dog", Box("1", "1", "2", "2")), "<object><name>cat</name></object>");
        ErrorOf(() => VocAnnotation.Load(path)).Should().Be($"{path}: object[1] (cat) has no bndbox.");
    }

    [Fact]
    public void A_non_numeric_coordinate_is_named()
    {
        string path = Write("a", Object("dog", Box("1", "1", "x2", "2")));
        ErrorOf(() => VocAnnotation.Load(path)).Should().Be($"{path}: object[0]/bndbox/xmax is not a number: 'x2'.");
    }

    [Fact]
    public void A_missing_coordinate_is_named()
    {
        string path = Write("a", Object("dog", "<bndbox><xmin>1</xmin><ymin>1</ymin><xmax>4</xmax></bndbox>"));
        ErrorOf(() => VocAnnotation.Load(path)).Should().Be($"{path}: object[0]/bndbox/ymax is missing.");
    }

    [Fact]
    public void An_empty_box_is_named_with_its_conversion()
    {
        string path = Write("a", Object("dog", Box("5", "1", "4", "2")));
        ErrorOf(() => VocAnnotation.Load(path)).Should().Be(
            $"{path}: object[0]/bndbox (dog) is empty: xmin=5, xmax=4, ymin=1, ymax=2 gives x1=4, x2=4, y1=0, y2=2; expected x2 > x1 and y2 > y1.");
    }

    [Fact]
    public void A_bad_size_or_flag_is_named()
    {
        string path = Path.Combine(root, "Annotations", "s.xml");
        File.WriteAllText(path, "<annotation><size><width>0</width><height>3</height></size></annotation>");
        ErrorOf(() => VocAnnotation.Load(path)).Should().Be($"{path}: size/width must be a positive integer, got '0'.");
        string flagged = Write("f", Object("dog", Box("1", "1", "2", "2"), difficult: 2));
        ErrorOf(() => VocAnnotation.Load(flagged)).Should().Be($"{flagged}: object[0]/difficult must be 0 or 1, got '2'.");
    }

    [Fact]
    public void Broken_xml_is_named()
    {
        string path = Path.Combine(root, "Annotations", "x.xml");
        File.WriteAllText(path, "<annotation>");
        ErrorOf(() => VocAnnotation.Load(path)).Should().StartWith($"{path}: not well-formed XML at line 1, position 13: ");
    }

    [Fact]
    public void Files_listed_in_the_split_but_missing_are_named()
    {
        Write("a");
        Split("val", "a", "gone");
        string split = Path.Combine(root, "ImageSets", "Main", "val.txt");
        ErrorOf(() => VocDataset.Open(root, "val")).Should().Be(
            $"{split}: line 2 lists 'gone' but its annotation {Path.Combine(root, "Annotations", "gone.xml")} does not exist.");

        File.Delete(Path.Combine(root, "JPEGImages", "a.jpg"));
        Split("val", "a");
        ErrorOf(() => VocDataset.Open(root, "val")).Should().Be(
            $"{split}: line 1 lists 'a' but its image {Path.Combine(root, "JPEGImages", "a.jpg")} does not exist.");

        string missing = Path.Combine(root, "ImageSets", "Main", "test.txt");
        ErrorOf(() => VocDataset.Open(root, "test")).Should().Be(
            $"{missing}: the split file does not exist; expected ImageSets/Main/test.txt under the VOC folder {root}.");
    }
}
