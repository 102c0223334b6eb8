using System;
using System.Collections.Generic;
using System.IO;
using ResNeStBlocks.Runtime;
using ResNeStBlocks.Weights;
using ResNeStBlocks.Zoo;
using static TorchSharp.torch;

namespace ResNeStBlocks.Samples.Classify;

/// <summary>The Classify program: load a zoo model with timm weights, prepare an image as timm does, print the top classes.</summary>
public static class ClassifyApp
{
    /// <summary>Exit code for a bad command line, a missing or unreadable file, an unknown model or weights that do not fit.</summary>
    public const int ErrorExitCode = 2;

    /// <summary>Runs the command line: prints the table to <paramref name="output"/>, or one error line to <paramref name="error"/>.</summary>
    /// <param name="args">The command-line arguments.</param>
    /// <param name="output">Where the table and help go.</param>
    /// <param name="error">Where errors go.</param>
    /// <returns>0 on success, <see cref="ErrorExitCode"/> on a user error.</returns>
    public static int Execute(IReadOnlyList<string> args, TextWriter output, TextWriter error)
    {
        try
        {
            var options = ClassifyOptions.Parse(args);
            if (options is null)
            {
                output.WriteLine(ClassifyOptions.Usage);
                return 0;
            }
            Run(options, output);
            return 0;
        }
        catch (UsageException e)
        {
            error.WriteLine($"error: {e.Message}");
            error.WriteLine("Run with --help for usage.");
            return ErrorExitCode;
        }
        catch (Exception e) when (e is FileNotFoundException or InvalidDataException or ArgumentException
                                     or StateDictMismatchException or SafetensorsFormatException)
        {
            error.WriteLine($"error: {e.Message}");
            return ErrorExitCode;
        }
    }

    /// <summary>Classifies one image and prints the table.</summary>
    /// <param name="options">What to run.</param>
    /// <param name="output">Where the table goes.</param>
    /// <returns>The top classes.</returns>
    /// <exception cref="ArgumentException">The model name is unknown.</exception>
    /// <exception cref="FileNotFoundException">The weights, image or class names file is missing.</exception>
    /// <exception cref="InvalidDataException">The image cannot be decoded, or the class names do not match the classifier.</exception>
    /// <exception cref="StateDictMismatchException">The weights belong to another architecture.</exception>
    /// <exception cref="SafetensorsFormatException">The weights file is not safetensors.</exception>
    public static ClassifyResult Run(ClassifyOptions options, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(output);
        // oneDNN's float32 convolutions are wrong on some CPUs; this turns oneDNN off where they are.
        NativeRuntime.VerifyCpuConvolution();

        var pretrained = ModelZoo.Pretrained(options.Model);
        if (!File.Exists(options.WeightsPath))
            throw new FileNotFoundException(
                $"Weights file not found: {options.WeightsPath}. Download model.safetensors from the Hugging Face hub release {pretrained.HubId}.",
                options.WeightsPath);
        string classNamesPath = options.ClassNamesPath ?? ClassifyOptions.DefaultClassNamesPath;
        var names = ClassNames.Load(classNamesPath);
        if (names.Count != pretrained.NumClasses)
            throw new InvalidDataException(
                $"{classNamesPath} names {names.Count} classes but {options.Model}'s classifier has {pretrained.NumClasses}.");
        if (options.Top > pretrained.NumClasses)
            throw new ArgumentException($"--top must be at most {pretrained.NumClasses}, got {options.Top}.", nameof(options));

        using var scope = NewDisposeScope();
        var image = ImageFile.LoadRgb(options.ImagePath);
        using var model = ModelZoo.Create(options.Model, pretrained.NumClasses);
        model.LoadWeights(options.WeightsPath, strict: true);
        model.eval();

        using var _ = no_grad();
        var input = pretrained.CreatePreprocessor().Process(image).unsqueeze(0);
        var probabilities = nn.functional.softmax(model.call(input), 1)[0];
        var (values, indices) = probabilities.topk(options.Top);
        var topValues = values.to(ScalarType.Float64).cpu().data<double>().ToArray();
        var topIndices = indices.cpu().data<long>().ToArray();

        var predictions = new List<Prediction>(options.Top);
        for (int i = 0; i < topIndices.Length; i++)
            predictions.Add(new Prediction(i + 1, (int)topIndices[i], names[(int)topIndices[i]], topValues[i]));
        var result = new ClassifyResult(options.Model, options.ImagePath, pretrained, predictions);
        ResultTable.Write(result, output);
        return result;
    }
}
