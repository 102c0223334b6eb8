using FluentAssertions;
using ResNeStBlocks.Zoo;
using Xunit;

namespace ResNeStBlocks.Tests.Zoo;

/// <summary>The zoo's weights descriptions carry ImageNet's class names in the order timm's in1k classifiers predict.</summary>
public sealed class PretrainedClassNamesTests
{
    [Fact]
    public void Every_zoo_tag_names_the_1000_ImageNet_classes_in_torchvisions_words()
    {
        var names = ModelZoo.Pretrained("resnest50d").ClassNames!;

        names.Should().HaveCount(1000);
        (names[0], names[1], names[2], names[134], names[517], names[999]).Should().Be(
            ("tench", "goldfish", "great white shark", "crane bird", "crane", "toilet tissue"));
        foreach (string name in ModelZoo.Names)
            foreach (string tag in ModelZoo.Tags(name))
                ModelZoo.Pretrained(tag).ClassNames.Should().BeSameAs(names, tag);
    }
}
