using System;
using System.Collections.Generic;
using System.IO;
using ResNeStBlocks.Hub;
using ResNeStBlocks.Runtime;
using ResNeStBlocks.Samples.Progress;
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
    /// <param name="display">Shows a weights download; null for plain lines on <paramref name="error"/>.</param>
    /// <returns>0 on success, <see cref="ErrorExitCode"/> on a user error.</returns>
    public static int Execute(IReadOnlyList<string> args, TextWriter output, TextWriter error, IDownloadDisplay? display = null)
    {
        try
        {
            var options = ClassifyOptions.Parse(args);
            if (options is null)
            {
                output.WriteLine(ClassifyOptions.Usage);
                return 0;
            }
            Run(options, output, display ?? new PlainDownloadDisplay(error));
            return 0;
        }
        catch (UsageException e)
        {
            error.WriteLine($"error: {e.Message}");
            error.WriteLine("Run with --help for usage.");
            return ErrorExitCode;
        }
        catch (Exception e) when (e is FileNotFoundException or InvalidDataException or ArgumentException
                                     or StateDictMismatchException or SafeTensorsFormatException or HubException
                                     or NativeRuntimeUnavailableException)
        {
            error.WriteLine($"error: {e.Message}");
            return ErrorExitCode;
        }
    }

    /// <summary>Classifies one image and prints the table.</summary>
    /// <param name="options">What to run.</param>
    /// <param name="output">Where the table goes.</param>
    /// <param name="display">Shows the weights download when <see cref="ClassifyOptions.WeightsPath"/> is null and they are not cached yet.</param>
    /// <param name="hub">Endpoint, cache, token and offline mode for that download; null for huggingface_hub's environment variables.</param>
    /// <returns>The top classes.</returns>
    /// <exception cref="ArgumentException">The model name or tag is unknown.</exception>
    /// <exception cref="FileNotFoundException">The weights, image or class names file is missing.</exception>
    /// <exception cref="InvalidDataException">The image cannot be decoded, or the class names do not match the classifier.</exception>
    /// <exception cref="StateDictMismatchException">The weights belong to another architecture.</exception>
    /// <exception cref="SafeTensorsFormatException">The weights file is not safetensors.</exception>
    /// <exception cref="HubException">The weights cannot be downloaded; the message says why and what to do.</exception>
    public static ClassifyResult Run(ClassifyOptions options, TextWriter output, IDownloadDisplay? display = null, HubOptions? hub = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(output);
        // oneDNN's float32 convolutions are wrong on some CPUs; this turns oneDNN off where they are.
        NativeRuntime.VerifyCpuConvolution();

        var pretrained = ModelZoo.Pretrained(options.Model);
        if (options.WeightsPath is not null && !File.Exists(options.WeightsPath))
            throw new FileNotFoundException(
                $"Weights file not found: {options.WeightsPath}. Leave out --weights to download model.safetensors from the Hugging Face hub release {pretrained.Source!.Id}.",
                options.WeightsPath);
        string classNamesPath = options.ClassNamesPath ?? ClassifyOptions.DefaultClassNamesPath;
        var names = ClassNames.Load(classNamesPath);
        if (names.Count != pretrained.NumClasses)
            throw new InvalidDataException(
                $"{classNamesPath} names {names.Count} classes but {options.Model}'s classifier has {pretrained.NumClasses}.");
        if (options.Top > pretrained.NumClasses)
            throw new ArgumentException($"--top must be at most {pretrained.NumClasses}, got {options.Top}.", nameof(options));
        if (!File.Exists(options.ImagePath))
            throw new FileNotFoundException($"Image file not found: {options.ImagePath}", options.ImagePath);
        string weightsPath = options.WeightsPath ?? WeightsDownload.Fetch(pretrained.Source!.Id, display ?? new PlainDownloadDisplay(TextWriter.Null), hub);

        using var scope = NewDisposeScope();
        var image = ImageFile.LoadRgb(options.ImagePath);
        using var model = ModelZoo.Create(options.Model, pretrained.NumClasses);
        model.LoadWeights(weightsPath, strict: true);
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
