using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using FluentAssertions;
using ResNeStBlocks.Blocks;
using ResNeStBlocks.Testing;
using ResNeStBlocks.Weights;
using Xunit;
using static TorchSharp.torch;

namespace ResNeStBlocks.Tests.Weights;

/// <summary>
/// Checkpoints written by torch.save itself (torch 1.13, tests/fixtures/pth/make_pth_fixtures.py), in the zip format and
/// the legacy format torchvision's older weights use: every tensor equals what torch saved, bit for bit, with its dtype,
/// shape, strides, storage offset and storage sharing; a torchvision block's state dict loads through LoadWeights and gives
/// torchvision's output; files that would run code on torch.load are rejected, naming what they ask for.
/// </summary>
public class PyTorchCheckpointTests
{
    public static IEnumerable<object[]> MixedFiles() => new[] { new object[] { "mixed.pth" }, new object[] { "mixed_legacy.pth" } };

    [Theory]
    [MemberData(nameof(MixedFiles))]
    public void Every_tensor_equals_what_torch_saved_with_its_dtype_shape_strides_and_offset(string file)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Fixtures.File("pth", "mixed.expected.json")));
        var expected = SafeTensors.Load(Fixtures.File("pth", "mixed.expected.safetensors"));
        var loaded = PyTorchCheckpoint.Load(Fixtures.File("pth", file));
        try
        {
            loaded.Keys.Should().Equal(doc.RootElement.GetProperty("keys").EnumerateArray().Select(k => k.GetString()), "the state dict's order is kept");
            foreach (var property in doc.RootElement.GetProperty("tensors").EnumerateObject())
            {
                var tensor = loaded[property.Name];
                var info = property.Value;
                tensor.dtype.Should().Be(expected[property.Name].dtype, property.Name);
                tensor.shape.Should().Equal(Longs(info.GetProperty("shape")), property.Name);
                tensor.stride().Should().Equal(Longs(info.GetProperty("stride")), property.Name);
                tensor.storage_offset().Should().Be(info.GetProperty("storage_offset").GetInt64(), property.Name);
                tensor.is_contiguous().Should().Be(info.GetProperty("contiguous").GetBoolean(), property.Name);
                using var contiguous = tensor.contiguous();
                contiguous.bytes.ToArray().Should().Equal(expected[property.Name].bytes.ToArray(), $"{property.Name} holds torch's bytes, NaN payloads included");
            }
        }
        finally
        {
            foreach (var t in loaded.Values.Concat(expected.Values))
                t.Dispose();
        }
    }

    [Theory]
    [MemberData(nameof(MixedFiles))]
    public void Tensors_that_share_a_storage_in_the_file_share_it_after_loading(string file)
    {
        var loaded = PyTorchCheckpoint.Load(Fixtures.File("pth", file));
        try
        {
            using var hundred = tensor(100f);
            loaded["views.base"][1, 3].add_(hundred);   // element 9 of the storage

            loaded["views.transposed"][3, 1].item<float>().Should().Be(109f);
            loaded["views.block"][0, 1].item<float>().Should().Be(109f);
            loaded["views.every_other"][1, 1].item<float>().Should().Be(8f, "element 8 is not the one changed");
            loaded["0.weight"].sum().item<float>().Should().NotBe(109f);
        }
        finally
        {
            foreach (var t in loaded.Values)
                t.Dispose();
        }
    }

    [Theory]
    [InlineData("basic_block.pth")]
    [InlineData("basic_block_legacy.pth")]
    public void A_torchvision_state_dict_loads_through_LoadWeights_and_gives_torchvisions_output(string file)
    {
        using var block = new BasicBlock(16, 16);
        var result = block.LoadWeights(Fixtures.File("pth", file));
        var io = SafeTensors.Load(Fixtures.File("pth", "basic_block.io.safetensors"));
        try
        {
            result.MissingKeys.Should().BeEmpty();
            result.UnexpectedKeys.Should().BeEmpty();
            block.eval();
            using var _ = no_grad();
            using var output = block.call(io["input"]);
            TensorAssert.Close(output, io["output"], 1e-4, 1e-4, "BasicBlock output with torchvision's weights");
            block.state_dict()["bn1.num_batches_tracked"].item<long>().Should().Be(3);
        }
        finally
        {
            foreach (var t in io.Values)
                t.Dispose();
        }
    }

    [Theory]
    [InlineData("hostile_os_system.pth", "hostile_os_system/data.pkl", 174, "posix.system")]
    [InlineData("hostile_eval.pth", "hostile_eval/data.pkl", 174, "__builtin__.eval")]   // protocol 2 spells builtins the Python 2 way
    public void A_checkpoint_that_would_run_code_is_rejected_naming_the_global_and_the_module_is_unchanged(string file, string entry, int at, string global)
    {
        using var block = new BasicBlock(16, 16);
        using var before = block.state_dict()["conv1.weight"].clone();
        string path = Fixtures.File("pth", file);

        var thrown = block.Invoking(b => b.LoadWeights(path)).Should().Throw<PyTorchCheckpointFormatException>();

        thrown.Which.Message.Should().Be(
            $"Invalid PyTorch checkpoint '{path}': '{entry}', at byte {at}: the pickle names the global '{global}', which a state dict never needs "
            + $"(allowed: {AllowedGlobals}); nothing was executed.");
        block.state_dict()["conv1.weight"].allclose(before, rtol: 0, atol: 0).Should().BeTrue("a failed load leaves the module unchanged");
    }

    [Fact]
    public void A_legacy_checkpoint_that_would_run_code_is_rejected_too()
    {
        string path = Fixtures.File("pth", "hostile_os_system_legacy.pth");

        FluentActions.Invoking(() => PyTorchCheckpoint.Load(path)).Should().Throw<PyTorchCheckpointFormatException>()
            .WithMessage($"Invalid PyTorch checkpoint '{path}': the state dict's pickle, at byte *: the pickle names the global 'posix.system', which a state dict never needs *");
    }

    [Fact]
    public void A_training_checkpoint_whose_weights_lie_under_another_name_is_named_as_such_with_the_fix()
    {
        string path = Fixtures.File("pth", "nested_checkpoint.pth");

        FluentActions.Invoking(() => PyTorchCheckpoint.Load(path)).Should().Throw<PyTorchCheckpointFormatException>().Which.Message.Should().Be(
            $"Invalid PyTorch checkpoint '{path}': the state dict's entry 'net' is an OrderedDict of 12, not a tensor. "
            + "It looks like a whole training checkpoint, but its weights are not under 'state_dict' or 'model' as torchvision's and timm's "
            + "training scripts save them; save its state dict alone in Python (torch.save(checkpoint['net'], path)).");
    }

    [Theory]
    [InlineData("train_torchvision.pth")]          // torchvision's references/classification/train.py: model, optimizer, lr_scheduler, epoch, args
    [InlineData("train_torchvision_legacy.pth")]   // the same in the legacy format: the optimizer's storages are walked past
    [InlineData("train_timm.pth")]                 // timm's train.py: state_dict (taken), state_dict_ema (not taken), optimizer, args, ...
    public void A_training_scripts_checkpoint_loads_its_weights_and_reads_the_command_line_as_an_inert_record(string file)
    {
        var expected = PyTorchCheckpoint.Load(Fixtures.File("pth", "basic_block.pth"));
        var loaded = PyTorchCheckpoint.Load(Fixtures.File("pth", file));
        try
        {
            loaded.Keys.Should().Equal(expected.Keys, "the weights entry alone is loaded, in its order; the optimizer's momentum buffers are not");
            foreach (var (key, tensor) in expected)
            {
                loaded[key].dtype.Should().Be(tensor.dtype, key);
                loaded[key].eq(tensor).all().item<bool>().Should().BeTrue($"{key} is the weights entry's tensor bit for bit (not the EMA copy, which is half of it)");
            }
        }
        finally
        {
            foreach (var t in expected.Values.Concat(loaded.Values))
                t.Dispose();
        }

        using var block = new BasicBlock(16, 16);
        var result = block.LoadWeights(Fixtures.File("pth", file));
        var io = SafeTensors.Load(Fixtures.File("pth", "basic_block.io.safetensors"));
        try
        {
            result.MissingKeys.Should().BeEmpty();
            result.UnexpectedKeys.Should().BeEmpty();
            block.eval();
            using var _ = no_grad();
            using var output = block.call(io["input"]);
            TensorAssert.Close(output, io["output"], 1e-4, 1e-4, "BasicBlock output with the training checkpoint's weights");
        }
        finally
        {
            foreach (var t in io.Values)
                t.Dispose();
        }
    }

    [Fact]
    public void A_training_checkpoint_whose_command_line_would_run_code_is_rejected_naming_the_global()
    {
        string path = Fixtures.File("pth", "hostile_train_args.pth");
        File.Delete(HostileMarker);

        FluentActions.Invoking(() => PyTorchCheckpoint.Load(path)).Should().Throw<PyTorchCheckpointFormatException>().Which.Message.Should().Be(
            $"Invalid PyTorch checkpoint '{path}': 'hostile_train_args/data.pkl', at byte 1231: the pickle names the global 'posix.system', "
            + $"which a state dict never needs (allowed: {AllowedGlobals}); nothing was executed.");
        File.Exists(HostileMarker).Should().BeFalse();
    }

    private const string HostileMarker = "/tmp/resnestblocks-pth-fixture-was-executed";

    [Theory]
    [InlineData(new byte[0], "the file is empty.")]
    [InlineData(new byte[] { 0x7b, 0x22, 0x61, 0x22 }, "the file starts with bytes 7B226122; torch.save writes a zip archive (504B0304) or, before PyTorch 1.6, a pickle stream (8002).")]
    [InlineData(new byte[] { 0x80, 0x02, 0x7d, 0x2e }, "the file is a pickle but not torch.save's legacy format (which opens with its magic number).")]
    public void A_file_that_is_no_checkpoint_is_said_to_be_what_it_is(byte[] bytes, string problem)
    {
        using var stream = new MemoryStream(bytes);

        FluentActions.Invoking(() => PyTorchCheckpoint.Load(stream, "x")).Should().Throw<PyTorchCheckpointFormatException>()
            .Which.Message.Should().Be("Invalid PyTorch checkpoint 'x': " + problem);
    }

    [Fact]
    public void A_safetensors_file_is_recognised_and_LoadWeights_reads_either_format()
    {
        string safetensors = Fixtures.File("timm", "blocks", "se_c64.safetensors");
        using var stream = File.OpenRead(safetensors);

        FluentActions.Invoking(() => PyTorchCheckpoint.Load(stream, "se")).Should().Throw<PyTorchCheckpointFormatException>()
            .Which.Message.Should().Be("Invalid PyTorch checkpoint 'se': the file looks like safetensors, not a PyTorch checkpoint: read it with SafeTensors.Load (module.LoadWeights reads either).");
        PyTorchCheckpoint.HasSignature(File.ReadAllBytes(Fixtures.File("pth", "mixed.pth")).AsSpan(0, 4)).Should().BeTrue();
        PyTorchCheckpoint.HasSignature(File.ReadAllBytes(Fixtures.File("pth", "mixed_legacy.pth")).AsSpan(0, 4)).Should().BeTrue();
        PyTorchCheckpoint.HasSignature(File.ReadAllBytes(safetensors).AsSpan(0, 4)).Should().BeFalse();
    }

    [Fact]
    public void The_exception_is_a_weights_format_exception_like_the_safetensors_one()
    {
        typeof(PyTorchCheckpointFormatException).BaseType.Should().Be(typeof(WeightsFormatException));
        typeof(SafeTensorsFormatException).BaseType.Should().Be(typeof(WeightsFormatException));
        typeof(WeightsFormatException).BaseType.Should().Be(typeof(IOException));
    }

    internal static string AllowedGlobals =>
        "collections.OrderedDict, torch._utils._rebuild_tensor_v2, torch._utils._rebuild_parameter, "
        + "torch.{FloatStorage,DoubleStorage,HalfStorage,BFloat16Storage,LongStorage,IntStorage,ShortStorage,CharStorage,ByteStorage,BoolStorage} "
        + "and argparse.Namespace (read as an inert record)";

    private static long[] Longs(JsonElement array) => array.EnumerateArray().Select(e => e.GetInt64()).ToArray();
}
