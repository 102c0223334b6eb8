using System;
using System.Collections.Generic;
using System.Linq;
using ResNeStBlocks.Backbones;
using ResNeStBlocks.Inference;
using ResNeStBlocks.Preprocessing;
using ResNeStBlocks.Summary;
using static TorchSharp.torch;

namespace ResNeStBlocks.Tests.Devices;

/// <summary>
/// Runs every code path of a model (train forward and backward, eval, stages, summary, folding, half precision) on
/// CPU tensors and checks that each output lives on the input's device with the expected dtype. Under a switched
/// default device or dtype, any tensor a layer creates without taking the input's placement either meets a CPU
/// tensor and fails inside libtorch, or changes an output's placement, which the checks report.
/// </summary>
public static class PlacementSweep
{
    /// <summary>A module's forward in train mode with a backward pass, then in eval mode without gradients.</summary>
    public static void Module(nn.Module<Tensor, Tensor> module, Tensor input, string what)
    {
        using var scope = NewDisposeScope();
        module.train();
        var output = module.call(input);
        Expect(output, input, $"{what} (train)");
        output.square().mean().backward();
        foreach (var (name, parameter) in module.named_parameters())
        {
            if (parameter.grad is { } grad)
                Expect(grad, parameter, $"{what} gradient of {name}");
        }
        module.zero_grad();
        module.eval();
        using (no_grad())
            Expect(module.call(input), input, $"{what} (eval)");
    }

    /// <summary>Everything a <see cref="ResNet"/> offers; the model is folded and converted to bfloat16 at the end.</summary>
    public static void Network(ResNet model, Tensor input, string what)
    {
        Module(model, input, what);
        using (var scope = NewDisposeScope())
        using (no_grad())
        {
            var stages = model.ForwardStages(input);
            for (int i = 0; i < stages.Count; i++)
                Expect(stages[i], input, $"{what} stage {i + 1}");
            Expect(model.ForwardHead(model.ForwardFeatures(input), preLogits: true), input, $"{what} pre-logits");
        }
        var summary = ModelSummarizer.Summarize(model, input.shape);
        if (summary.TotalMacs <= 0)
            throw new InvalidOperationException($"{what}: the summary counted no MACs.");

        int folded = InferencePreparation.FoldBatchNorm(model);
        if (folded == 0)
            throw new InvalidOperationException($"{what}: nothing was folded.");
        using (var scope = NewDisposeScope())
        using (no_grad())
            Expect(model.call(input), input, $"{what} (folded)");

        HalfPrecision.ToHalfPrecision(model, ScalarType.BFloat16);
        using (var scope = NewDisposeScope())
        using (no_grad())
        {
            var half = input.to(ScalarType.BFloat16);
            Expect(model.call(half), half, $"{what} (bfloat16)");
        }
    }

    /// <summary>The preprocessor on an 8-bit HWC image and a float CHW image.</summary>
    public static void Preprocessor(ImagePreprocessor preprocessor, Tensor eightBit, Tensor floating)
    {
        using var scope = NewDisposeScope();
        var fromBytes = preprocessor.Process(eightBit);
        var fromFloats = preprocessor.Process(floating);
        if (fromBytes.device_type != eightBit.device_type || fromBytes.dtype != ScalarType.Float32)
            throw new InvalidOperationException($"preprocessor (uint8): got {fromBytes.dtype} on {fromBytes.device}, expected Float32 on {eightBit.device}.");
        if (fromFloats.device_type != floating.device_type || fromFloats.dtype != ScalarType.Float32)
            throw new InvalidOperationException($"preprocessor (float): got {fromFloats.dtype} on {fromFloats.device}, expected Float32 on {floating.device}.");
    }

    /// <summary>Throws when <paramref name="actual"/> is not on <paramref name="like"/>'s device with its dtype.</summary>
    public static void Expect(Tensor actual, Tensor like, string what)
    {
        if (actual.device_type != like.device_type || actual.device_index != like.device_index || actual.dtype != like.dtype)
            throw new InvalidOperationException(
                $"{what}: output is {actual.dtype} on {actual.device}, expected {like.dtype} on {like.device}.");
    }
}
