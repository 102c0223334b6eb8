using System.Collections.Generic;
using System.Linq;
using FluentAssertions;
using ResNeStBlocks.Layers;
using ResNeStBlocks.Weights;
using ResNeStBlocks.Zoo;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace ResNeStBlocks.Tests.Weights;

/// <summary>
/// A failed load explains itself in a short message: the likely cause with its fix, counts, and a few keys
/// of each kind; the full lists stay on the exception.
/// </summary>
public sealed class StateDictMismatchMessageTests
{
    [Fact]
    public void Another_architectures_weights_are_named_in_a_short_message()
    {
        using var scope = NewDisposeScope();
        using var resnet50d = ModelZoo.Create("resnet50d");
        using var resnest50d = ModelZoo.Create("resnest50d");
        var weights = resnet50d.state_dict();

        var thrown = FluentActions.Invoking(() => StateDictLoader.Load(resnest50d, weights))
            .Should().Throw<StateDictMismatchException>().Which;

        thrown.Message.Length.Should().BeLessThan(1500);
        thrown.Message.Should().Be(ExpectedArchitectureMessage);
        thrown.MatchingZooModel.Should().Be("resnet50d");
        thrown.MissingKeys.Should().HaveCount(240);
        thrown.UnexpectedKeys.Should().HaveCount(96);
        thrown.Mismatches.Should().BeEmpty();
        thrown.MissingKeys.Concat(thrown.UnexpectedKeys).Should().OnlyHaveUniqueItems();
    }

    private const string ExpectedArchitectureMessage =
        "The state dict does not fit ResNet; nothing was loaded. This file looks like weights for a different architecture: "
        + "only 236 tensors fit, of the module's 476 and the file's 332. Its keys and shapes are those of the zoo model 'resnet50d': "
        + "create that model with ModelZoo.Create(\"resnet50d\"). "
        + "240 missing key(s): layer1.0.conv2.conv.weight, layer1.0.conv2.bn0.weight, layer1.0.conv2.bn0.bias, layer1.0.conv2.fc1.weight, "
        + "layer1.0.conv2.fc1.bias ... and 235 more. "
        + "96 unexpected key(s): layer1.0.conv2.weight, layer1.0.bn2.weight, layer1.0.bn2.bias, layer1.1.conv2.weight, layer1.1.bn2.weight "
        + "... and 91 more. The full lists are the exception's MissingKeys, UnexpectedKeys and Mismatches.";

    [Theory]
    [InlineData(12)]
    [InlineData(0)]
    public void The_zoo_model_is_named_whatever_the_files_class_count(int classes)
    {
        using var scope = NewDisposeScope();
        using var finetuned = ModelZoo.Create("resnet18", classes);
        using var target = ModelZoo.Create("resnest14d");

        var thrown = FluentActions.Invoking(() => StateDictLoader.Load(target, finetuned.state_dict()))
            .Should().Throw<StateDictMismatchException>().Which;

        thrown.MatchingZooModel.Should().Be("resnet18");
        thrown.Message.Should().Contain("This file looks like weights for a different architecture: ")
            .And.Contain("Its keys and shapes are those of the zoo model 'resnet18': create that model with ModelZoo.Create(\"resnet18\").");
    }

    [Fact]
    public void A_classifier_with_another_class_count_points_to_skipClassifier()
    {
        using var scope = NewDisposeScope();
        using var imagenet = ModelZoo.Create("resnest14d", 1000);
        using var twelve = ModelZoo.Create("resnest14d", 12);

        var thrown = FluentActions.Invoking(() => StateDictLoader.Load(twelve, imagenet.state_dict()))
            .Should().Throw<StateDictMismatchException>().Which;

        thrown.Message.Should().Be(
            "The state dict does not fit ResNet; nothing was loaded. Only the classifier (fc.*) differs (the file has 1000 classes, the model 12): "
            + "pass skipClassifier: true to LoadWeights to load everything else and keep the model's own head. "
            + "2 mismatched tensor(s): fc.weight: expected shape [12, 2048], got [1000, 2048]; fc.bias: expected shape [12], got [1000].");
        thrown.MatchingZooModel.Should().BeNull();
    }

    [Fact]
    public void Weights_that_fit_nothing_and_match_no_zoo_model_say_so()
    {
        using var scope = NewDisposeScope();
        using var se = new SqueezeExcite(64);
        using var norm = nn.BatchNorm2d(64);

        var thrown = FluentActions.Invoking(() => StateDictLoader.Load(se, norm.state_dict()))
            .Should().Throw<StateDictMismatchException>().Which;

        thrown.Message.Should().Be(
            "The state dict does not fit SqueezeExcite; nothing was loaded. This file looks like weights for a different architecture: "
            + "only 0 tensors fit, of the module's 4 and the file's 5. Its keys match no ModelZoo model. "
            + "4 missing key(s): fc1.weight, fc1.bias, fc2.weight, fc2.bias. "
            + "5 unexpected key(s): weight, bias, running_mean, running_var, num_batches_tracked.");
        thrown.MatchingZooModel.Should().BeNull();
    }

    [Fact]
    public void Long_lists_show_five_keys_then_the_count_left()
    {
        var missing = Enumerable.Range(0, 8).Select(i => $"m{i}").ToList();
        var thrown = new StateDictMismatchException("Net", missing, new List<string>(), new List<string>());
        thrown.Message.Should().Be("The state dict does not fit Net; nothing was loaded. 8 missing key(s): m0, m1, m2, m3, m4 ... and 3 more. "
            + "The full lists are the exception's MissingKeys, UnexpectedKeys and Mismatches.");
        thrown.MissingKeys.Should().Equal(missing);
    }

    [Fact]
    public void A_users_Sequential_is_named_by_its_dotnet_type_not_libtorchs_class()
    {
        using var scope = NewDisposeScope();
        using var mine = nn.Sequential(nn.Conv2d(3, 8, 3, bias: false), nn.BatchNorm2d(8));
        using var other = nn.Sequential(nn.Conv2d(3, 16, 3, bias: false), nn.BatchNorm2d(16));

        string path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"sequential-{System.Guid.NewGuid():N}.safetensors");
        other.SaveWeights(path);
        try
        {
            var thrown = FluentActions.Invoking(() => mine.LoadWeights(path)).Should().Throw<StateDictMismatchException>().Which;

            mine.GetName().Should().Be("torch::nn::SequentialImpl", "libtorch's name, which the message must not show");
            thrown.Message.Should().Be(
                "The state dict does not fit Sequential; nothing was loaded. This file looks like weights for a different architecture: "
                + "only 1 tensors fit, of the module's 6 and the file's 6. Its keys match no ModelZoo model. "
                + "5 mismatched tensor(s): 0.weight: expected shape [8, 3, 3, 3], got [16, 3, 3, 3]; 1.weight: expected shape [8], got [16]; "
                + "1.bias: expected shape [8], got [16]; 1.running_mean: expected shape [8], got [16]; 1.running_var: expected shape [8], got [16].");
        }
        finally
        {
            System.IO.File.Delete(path);
        }
    }
}
