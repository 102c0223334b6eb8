using System;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using FluentAssertions;
using ResNeStBlocks.Samples.Classify;
using ResNeStBlocks.Testing;
using ResNeStBlocks.Zoo;
using Xunit;
using static TorchSharp.torch;

namespace ResNeStBlocks.Samples.Tests;

/// <summary>
/// The Classify sample end to end. Real timm weights cannot be downloaded here, so each test writes a
/// randomly initialised zoo model's weights and checks the sample against a direct computation.
/// </summary>
public sealed class ClassifyTests : IDisposable
{
    private static readonly Regex Row = new(@"^\s*(\d+)\s+(\d+)\s+(.+?)\s+(\d+\.\d\d) %$", RegexOptions.Compiled);

    private readonly TempFolder temp = new("classify-tests");

    public void Dispose() => temp.Dispose();

    [Fact]
    public void Prints_the_top_k_classes_of_a_direct_forward()
    {
        const string model = "resnest14d";
        const int k = 7;
        string weights = Path.Combine(temp.Path, "model.safetensors");
        string image = Fixtures.File("data", "chelsea.png");
        float[] expected;
        manual_seed(4);
        using (var network = ModelZoo.Create(model))
        {
            RandomiseNorms(network);
            network.SaveWeights(weights);
            network.eval();
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            var input = ModelZoo.Pretrained(model).CreatePreprocessor().Process(PngImage.LoadRgb(image)).unsqueeze(0);
            expected = nn.functional.softmax(network.call(input), 1)[0].data<float>().ToArray();
        }

        var output = new StringWriter();
        int exit = ClassifyApp.Execute(new[] { "--model", model, "--weights", weights, "--image", image, "--top", k.ToString() }, output, TextWriter.Null);

        exit.Should().Be(0, output.ToString());
        var rows = output.ToString().Split('\n').Select(l => Row.Match(l.TrimEnd('\r'))).Where(m => m.Success).ToList();
        rows.Should().HaveCount(k);
        rows.Select(r => int.Parse(r.Groups[1].Value)).Should().Equal(Enumerable.Range(1, k));
        var printed = rows.Select(r => double.Parse(r.Groups[4].Value, System.Globalization.CultureInfo.InvariantCulture) / 100).ToArray();
        printed.Should().BeInDescendingOrder();
        printed.Sum().Should().BeLessThanOrEqualTo(1.0 + 1e-9);

        var expectedOrder = expected.Select((p, i) => (p, i)).OrderByDescending(t => t.p).Take(k).ToArray();
        var classNames = File.ReadAllLines(Fixtures.File("data", "imagenet_classes.txt"));
        int top1 = int.Parse(rows[0].Groups[2].Value);
        top1.Should().Be(expectedOrder[0].i);
        // Random weights make any class the top one, including those whose names the table shortens (king crab's 86 characters).
        rows[0].Groups[3].Value.Should().Be(ResultTable.DisplayName(classNames[top1]));
        for (int r = 0; r < k; r++)
            printed[r].Should().BeApproximately(expectedOrder[r].p, 0.00005 + 1e-6, $"row {r + 1}");
    }

    [Fact]
    public void Run_returns_the_same_ranking_as_softmax()
    {
        const string model = "resnest14d";
        string weights = Path.Combine(temp.Path, "model.safetensors");
        string image = Fixtures.File("data", "coffee.png");
        manual_seed(5);
        using (var network = ModelZoo.Create(model))
        {
            RandomiseNorms(network);
            network.SaveWeights(weights);
        }

        var result = ClassifyApp.Run(new ClassifyOptions(model, weights, image, Top: 3), TextWriter.Null);

        result.Predictions.Should().HaveCount(3);
        result.Predictions.Select(p => p.Probability).Should().BeInDescendingOrder();
        result.Predictions.Select(p => p.Probability).Sum().Should().BeLessThanOrEqualTo(1.0);
        result.Predictions.Select(p => p.ClassIndex).Should().OnlyHaveUniqueItems();
    }

    [Fact]
    public void Weights_of_another_model_fail_with_the_mismatch_message_and_exit_code_2()
    {
        string weights = Path.Combine(temp.Path, "resnet18.safetensors");
        using (var other = ModelZoo.Create("resnet18"))
            other.SaveWeights(weights);
        var error = new StringWriter();

        int exit = ClassifyApp.Execute(
            new[] { "--model", "resnest14d", "--weights", weights, "--image", Fixtures.File("data", "chelsea.png") }, TextWriter.Null, error);

        exit.Should().Be(ClassifyApp.ErrorExitCode).And.Be(2);
        error.ToString().Should().StartWith("error: The state dict does not fit").And.Contain("missing key(s)").And.Contain("unexpected key(s)");
    }

    [Theory]
    [InlineData("--model", "no_such_model", "Unknown model 'no_such_model'")]
    [InlineData("--image", "{dir}/missing.png", "Image file not found")]
    [InlineData("--weights", "{dir}/missing.safetensors", "Weights file not found")]
    [InlineData("--classes", "{dir}/missing.txt", "Class names file not found")]
    [InlineData("--top", "0", "--top must be a positive integer")]
    [InlineData("--top", "1001", "--top must be at most 1000")]
    [InlineData("--colour", "red", "Unknown option '--colour'")]
    public void User_errors_exit_with_code_2_and_say_what_is_wrong(string option, string value, string message)
    {
        string weights = Path.Combine(temp.Path, "model.safetensors");
        using (var network = ModelZoo.Create("resnest14d"))
            network.SaveWeights(weights);
        var args = new[] { "--model", "resnest14d", "--weights", weights, "--image", Fixtures.File("data", "chelsea.png") }.ToList();
        value = value.Replace("{dir}", temp.Path, StringComparison.Ordinal);
        int at = args.IndexOf(option);
        if (at >= 0) args[at + 1] = value;
        else args.AddRange(new[] { option, value });
        var error = new StringWriter();

        int exit = ClassifyApp.Execute(args, TextWriter.Null, error);

        exit.Should().Be(2);
        error.ToString().Should().Contain(message);
    }

    [Fact]
    public void A_file_that_is_not_an_image_is_reported()
    {
        string notAnImage = Path.Combine(temp.Path, "notes.png");
        File.WriteAllText(notAnImage, "plain text");
        string weights = Path.Combine(temp.Path, "model.safetensors");
        using (var network = ModelZoo.Create("resnest14d"))
            network.SaveWeights(weights);
        var error = new StringWriter();

        int exit = ClassifyApp.Execute(new[] { "--model", "resnest14d", "--weights", weights, "--image", notAnImage }, TextWriter.Null, error);

        exit.Should().Be(2);
        error.ToString().Should().Contain("Cannot decode").And.Contain("notes.png");
    }

    [Fact]
    public void Help_names_the_hub_release_of_the_real_weights()
    {
        var output = new StringWriter();

        ClassifyApp.Execute(new[] { "--help" }, output, TextWriter.Null).Should().Be(0);

        output.ToString().Should().Contain("Real weights come from the Hugging Face hub release timm/resnest50d.in1k (model.safetensors)");
    }

    [Theory]
    [InlineData("chelsea.png")]
    [InlineData("coffee.png")]
    [InlineData("imagenet_classes.txt")]
    public void The_sample_ships_byte_identical_copies_of_the_fixture_data(string name)
    {
        string shipped = Path.Combine(AppContext.BaseDirectory, "data", name);
        File.Exists(shipped).Should().BeTrue($"{name} is copied beside Classify.dll");
        File.ReadAllBytes(shipped).Should().Equal(File.ReadAllBytes(Fixtures.File("data", name)));
    }

    /// <summary>Non-trivial BatchNorm statistics and scales and a sharp classifier, so the random network's classes are well separated.</summary>
    private static void RandomiseNorms(ResNeStBlocks.Backbones.ResNet network)
    {
        using var _ = no_grad();
        foreach (var (name, tensor) in network.state_dict())
        {
            if (name.EndsWith("running_var", StringComparison.Ordinal)) tensor.uniform_(0.5, 1.5);
            else if (name.EndsWith("running_mean", StringComparison.Ordinal)) tensor.uniform_(-0.1, 0.1);
            else if (name.EndsWith("bn3.weight", StringComparison.Ordinal) || name.EndsWith("bn1.weight", StringComparison.Ordinal)) tensor.uniform_(0.5, 1.0);
            else if (name == "fc.weight") tensor.mul_(40); // peaked probabilities, so the ranking is far from a tie
        }
    }

    [Fact]
    public void The_table_cuts_names_longer_than_60_characters_to_57_and_an_ellipsis()
    {
        ResultTable.DisplayName("king crab, Alaska crab, Alaskan king crab, Alaska king crab, Paralithodes camtschatica")
            .Should().Be("king crab, Alaska crab, Alaskan king crab, Alaska king cr...");
        ResultTable.DisplayName("tabby, tabby cat").Should().Be("tabby, tabby cat");
    }
}
