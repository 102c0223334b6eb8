using System;
using System.IO;
using System.Linq;
using FluentAssertions;
using ResNeStBlocks.Evaluation;
using ResNeStBlocks.Vision;
using Xunit;

namespace ResNeStBlocks.Tests.Vision;

public sealed class CocoInstancesDatasetTests : IDisposable
{
    private readonly string root = Path.Combine(Path.GetTempPath(), "rnb-coco-" + Guid.NewGuid().ToString("N"));

    public CocoInstancesDatasetTests()
    {
        Directory.CreateDirectory(Path.Combine(root, "images"));
        foreach (var name in new[] { "a.png", "b.png", "c.png" })
            File.WriteAllBytes(Path.Combine(root, "images", name), new byte[] { 0x89, 0x50 });
    }

    public void Dispose() => Directory.Delete(root, recursive: true);

    private const string Images =
        """[{"id": 7, "width": 10, "height": 8, "file_name": "a.png"}, {"id": 9, "width": 6, "height": 5, "file_name": "b.png"}, {"id": 11, "width": 6, "height": 5, "file_name": "c.png"}]""";

    private const string Categories = """[{"id": 3, "name": "circle"}, {"id": 1, "name": "square"}]""";

    // A polygon, an uncompressed RLE, a crowd with a compressed RLE (image 7); a box reaching out of image 9; nothing on image 11.
    private const string Annotations = """
        [{"id": 1, "image_id": 7, "category_id": 1, "bbox": [1, 1, 4, 3], "area": 12, "iscrowd": 0, "segmentation": [[1, 1, 5, 1, 5, 4, 1, 4]]},
         {"id": 2, "image_id": 7, "category_id": 3, "bbox": [6, 2, 2, 2], "area": 4, "iscrowd": 0, "segmentation": {"size": [8, 10], "counts": [50, 2, 6, 2, 20]}},
         {"id": 3, "image_id": 7, "category_id": 3, "bbox": [0, 0, 2, 2], "area": 4, "iscrowd": 1, "segmentation": {"size": [8, 10], "counts": "02000`0"}},
         {"id": 4, "image_id": 9, "category_id": 3, "bbox": [4, 3, 5, 5], "area": 4, "iscrowd": 0, "segmentation": [[4, 3, 6, 3, 6, 5, 4, 5]]}]
        """;

    private string Write(string images = Images, string annotations = Annotations, string categories = Categories)
    {
        string path = Path.Combine(root, "instances.json");
        File.WriteAllText(path, $$"""{"images": {{images}}, "annotations": {{annotations}}, "categories": {{categories}}}""");
        return path;
    }

    private string ErrorOf(Action action) => action.Should().Throw<CocoFormatException>().Which.Message;

    [Fact]
    public void Maps_categories_to_contiguous_labels_in_file_order()
    {
        var dataset = CocoInstancesDataset.Open(Write(), Path.Combine(root, "images"));

        dataset.Classes.Names.Should().Equal(ClassTable.BackgroundName, "circle", "square");
        dataset.CategoryId(1).Should().Be(3);
        dataset.CategoryId(2).Should().Be(1);
        dataset.TryGetLabel(1, out int label).Should().BeTrue();
        label.Should().Be(2);
        dataset.Count.Should().Be(3);
        dataset.Samples[0].ImagePath.Should().Be(Path.Combine(root, "images", "a.png"));
        dataset.Samples[0].Labels.Should().Equal(2, 1, 1);
        dataset.Samples.Select(s => s.IsEmpty).Should().Equal(false, false, true);
        dataset.GroundTruth.Annotations.Should().HaveCount(4);
    }

    [Fact]
    public void Targets_leave_out_crowds_convert_and_clip_boxes()
    {
        var dataset = CocoInstancesDataset.Open(Write(), Path.Combine(root, "images"));

        var first = dataset.Target(0);
        using (first.Boxes)
        using (first.Labels)
        {
            first.Boxes.data<float>().ToArray().Should().Equal(1, 1, 5, 4, 6, 2, 8, 4);
            first.Labels.data<long>().ToArray().Should().Equal(2, 1);
            first.Masks.Should().BeNull();
        }
        var clipped = dataset.Target(1);
        using (clipped.Boxes)
        using (clipped.Labels)
            clipped.Boxes.data<float>().ToArray().Should().Equal(4, 3, 6, 5);
        var empty = dataset.Target(2, masks: true);
        using (empty.Boxes)
        using (empty.Labels)
        using (empty.Masks)
        {
            empty.Boxes.shape.Should().Equal(0, 4);
            empty.Labels.shape.Should().Equal(0);
            empty.Masks!.shape.Should().Equal(0, 5, 6);
        }
    }

    [Fact]
    public void Masks_decode_as_the_evaluators_pycocotools_decoding()
    {
        var dataset = CocoInstancesDataset.Open(Write(), Path.Combine(root, "images"));

        var target = dataset.Target(0, masks: true);
        using (target.Boxes)
        using (target.Labels)
        using (target.Masks)
        {
            target.Masks!.shape.Should().Equal(2, 8, 10);
            target.Masks.dtype.Should().Be(TorchSharp.torch.ScalarType.Byte);
            var pixels = target.Masks.data<byte>().ToArray();
            var objects = dataset.Samples[0].Objects.Where(o => !o.IsCrowd).ToArray();
            for (int k = 0; k < objects.Length; k++)
            {
                var expected = objects[k].Segmentation!.ToMask(8, 10).Decode();
                for (int y = 0; y < 8; y++)
                    for (int x = 0; x < 10; x++)
                        pixels[k * 80 + y * 10 + x].Should().Be(expected[y, x] ? (byte)1 : (byte)0, $"object {k} at ({x}, {y})");
            }
            // pycocotools' rleFrPoly fills the polygon (1,1)-(5,4) as columns 1..4, rows 1..3 (its pixel-centre rule).
            Enumerable.Range(0, 80).Where(p => pixels[p] == 1).Select(p => (p % 10, p / 10)).Should()
                .BeEquivalentTo(from y in Enumerable.Range(1, 3) from x in Enumerable.Range(1, 4) select (x, y));
            // Counts [50, 2, 6, 2, 20] down the columns: column 6 and 7, rows 2 and 3.
            Enumerable.Range(0, 80).Where(p => pixels[80 + p] == 1).Select(p => (p % 10, p / 10)).Should()
                .BeEquivalentTo(new[] { (6, 2), (6, 3), (7, 2), (7, 3) });
        }
    }

    [Fact]
    public void Missing_image_file_is_refused_naming_the_field()
    {
        string json = Write(images: """[{"id": 7, "width": 10, "height": 8, "file_name": "gone.png"}]""", annotations: "[]");
        string folder = Path.Combine(root, "images");

        ErrorOf(() => CocoInstancesDataset.Open(json, folder)).Should().Be(
            $"COCO file '{json}': images[0].file_name 'gone.png' names no file; expected {Path.Combine(folder, "gone.png")}.");
    }

    [Fact]
    public void Image_without_file_name_is_refused()
    {
        string json = Write(images: """[{"id": 7, "width": 10, "height": 8}]""", annotations: "[]");

        ErrorOf(() => CocoInstancesDataset.Open(json, root)).Should().Be(
            $"COCO file '{json}': images[0].file_name is missing (the image file under {root}).");
    }

    [Fact]
    public void Unknown_category_is_refused()
    {
        string json = Write(annotations: """[{"id": 1, "image_id": 7, "category_id": 5, "bbox": [1, 1, 4, 3], "area": 12}]""");

        ErrorOf(() => CocoInstancesDataset.Open(json, Path.Combine(root, "images"))).Should().Be(
            $"COCO file '{json}': annotations[0].category_id 5 names no entry of categories.");
    }

    [Fact]
    public void Repeated_or_empty_category_names_are_refused()
    {
        string repeated = Write(categories: """[{"id": 3, "name": "circle"}, {"id": 1, "name": "circle"}]""", annotations: "[]");
        ErrorOf(() => CocoInstancesDataset.Open(repeated, Path.Combine(root, "images"))).Should().Be(
            $"COCO file '{repeated}': categories[1].name 'circle' repeats categories[0].name; class names must be distinct.");

        string empty = Write(categories: """[{"id": 3}]""", annotations: "[]");
        ErrorOf(() => CocoInstancesDataset.Open(empty, Path.Combine(root, "images"))).Should().Be(
            $"COCO file '{empty}': categories[0].name must be a non-empty class name other than '__background__', got ''.");
    }

    [Fact]
    public void Negative_box_size_is_refused()
    {
        string json = Write(annotations: """[{"id": 1, "image_id": 7, "category_id": 3, "bbox": [1, 1, -4, 3], "area": 12}]""");

        ErrorOf(() => CocoInstancesDataset.Open(json, Path.Combine(root, "images"))).Should().Be(
            $"COCO file '{json}': annotations[0].bbox must have a width and height of 0 or more, got [1, 1, -4, 3].");
    }

    [Fact]
    public void Malformed_json_fields_come_from_the_evaluators_reader()
    {
        string json = Write(annotations: """[{"id": 1, "image_id": 7, "category_id": 3, "bbox": [1, 1, 4], "area": 12}]""");

        ErrorOf(() => CocoInstancesDataset.Open(json, Path.Combine(root, "images"))).Should().StartWith($"COCO file '{json}': annotations[0].bbox ");
    }

    [Fact]
    public void Masks_need_a_segmentation_of_the_images_size()
    {
        string missing = Write(annotations: """[{"id": 1, "image_id": 7, "category_id": 3, "bbox": [1, 1, 4, 3], "area": 12}]""");
        var dataset = CocoInstancesDataset.Open(missing, Path.Combine(root, "images"));
        ErrorOf(() => dataset.Target(0, masks: true)).Should().Be(
            $"COCO file '{missing}': annotations[0].segmentation is missing; masks need polygons or RLE for every object.");

        string wrongSize = Write(annotations: """[{"id": 1, "image_id": 7, "category_id": 3, "bbox": [1, 1, 4, 3], "area": 12, "segmentation": {"size": [4, 10], "counts": [40]}}]""");
        dataset = CocoInstancesDataset.Open(wrongSize, Path.Combine(root, "images"));
        ErrorOf(() => dataset.Target(0, masks: true)).Should().Be(
            $"COCO file '{wrongSize}': annotations[0].segmentation.size is [4, 10], but its image 7 is 8 x 10 (height x width).");
    }

    [Fact]
    public void Image_folder_defaults_to_the_json_files_folder()
    {
        string json = Path.Combine(root, "images", "instances.json");
        File.WriteAllText(json, $$"""{"images": {{Images}}, "annotations": [], "categories": {{Categories}}}""");

        var dataset = CocoInstancesDataset.Open(json);

        dataset.ImageFolder.Should().Be(Path.Combine(root, "images"));
        dataset.Samples.Should().OnlyContain(s => s.IsEmpty);
    }
}
