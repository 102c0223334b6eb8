using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using FluentAssertions;
using ResNeStBlocks.Testing;
using ResNeStBlocks.Weights;
using Xunit;
using static TorchSharp.torch;

namespace ResNeStBlocks.Tests.Weights;

/// <summary>
/// Hand-made checkpoints that break one rule each: globals that would run code, opcodes and argument shapes a state dict
/// never has, views that leave their storage, storages that disagree with their entries, and broken zip archives. Each
/// raises <see cref="PyTorchCheckpointFormatException"/> with a message naming the problem, and leaves nothing allocated.
/// </summary>
public class PyTorchCheckpointMalformedTests
{
    private static readonly (string, byte[])[] Storage0 = { ("0", CraftedCheckpoint.SixFloats) };

    [Fact]
    public void The_crafted_state_dict_itself_loads_with_its_values_so_each_case_below_breaks_one_rule()
    {
        using var scope = NewDisposeScope();
        var loaded = CraftedCheckpoint.Load(CraftedCheckpoint.Archive(CraftedCheckpoint.StateDict(), Storage0));

        loaded.Keys.Should().Equal("w");
        loaded["w"].shape.Should().Equal(2, 3);
        loaded["w"].data<float>().ToArray().Should().Equal(0, 1, 2, 3, 4, 5);
        var strided = CraftedCheckpoint.Load(CraftedCheckpoint.Archive(CraftedCheckpoint.StateDict(offset: 1, size: new long[] { 2, 2 }, stride: new long[] { 1, 2 }), Storage0));
        strided["w"].contiguous().data<float>().ToArray().Should().Equal(1, 3, 2, 4);
    }

    public static IEnumerable<object[]> Globals() => new[]
    {
        new object[] { "os", "system" }, new object[] { "posix", "system" }, new object[] { "builtins", "eval" },
        new object[] { "__builtin__", "exec" }, new object[] { "subprocess", "Popen" }, new object[] { "torch", "Tensor" },
        new object[] { "torch._utils", "_rebuild_tensor" }, new object[] { "torch", "UntypedStorage" },
        new object[] { "collections", "defaultdict" }, new object[] { "numpy.core.multiarray", "_reconstruct" },
    };

    [Theory]
    [MemberData(nameof(Globals))]
    public void Any_global_but_the_few_a_state_dict_needs_is_refused_before_it_could_be_called(string module, string name)
    {
        var pickle = new Pickle().Proto().Global(module, name).Mark().Str("touch /tmp/x").Tuple().Reduce().Stop().Bytes();
        var stackGlobal = new Pickle().Proto(4).ShortStr(module).ShortStr(name).Raw(0x93).EmptyTuple().Reduce().Stop().Bytes();

        Rejected(CraftedCheckpoint.Archive(pickle)).Should().Be(CraftedCheckpoint.Prefix
            + $"'archive/data.pkl', at byte 2: the pickle names the global '{module}.{name}', which a state dict never needs (allowed: {PyTorchCheckpointTests.AllowedGlobals}); nothing was executed.");
        Rejected(CraftedCheckpoint.Archive(stackGlobal)).Should().Contain($"the pickle names the global '{module}.{name}'");
    }

    public static IEnumerable<object[]> Pickles() => new[]
    {
        Case("INST", new Pickle().Proto().Raw((byte)'i').Raw(Encoding.ASCII.GetBytes("os\nsystem\n")).Stop(),
            "at byte 2: opcode 0x69 ('i') is not one that torch.save writes for a state dict."),
        Case("OBJ", new Pickle().Proto().Mark().Raw((byte)'o').Stop(), "at byte 3: opcode 0x6f ('o') is not one that torch.save writes for a state dict."),
        Case("text PERSID", new Pickle().Proto().Raw((byte)'P').Raw(Encoding.ASCII.GetBytes("0\n")).Stop(),
            "at byte 2: opcode 0x50 ('P') is not one that torch.save writes for a state dict."),
        Case("memo read before write", new Pickle().Proto().Get(5).Stop(), "at byte 2: memo entry 5 is read before it is stored."),
        Case("no STOP", new Pickle().Proto().EmptyDict(), "at byte 3: the pickle runs past its 3-byte limit without a STOP opcode."),
        Case("two values at STOP", new Pickle().Proto().EmptyDict().EmptyDict().Stop(),
            "at byte 4: STOP leaves 2 value(s) and 0 open mark(s); a pickle ends with exactly one value."),
        Case("repeated key", new Pickle().Proto().EmptyDict().Mark().Str("a").None().Str("a").None().SetItems().Stop(),
            "at byte 18: the key 'a' appears twice in one dict."),
        Case("nesting", Nested(40), "at byte 73: containers nest more than 32 deep; a state dict needs 3."),
        Case("self-appended list", SelfAppended(40), "at byte 100: containers nest more than 32 deep; a state dict needs 3."),
        Case("string longer than the pickle", new Pickle().Proto().Raw((byte)'X').Raw(BitConverter.GetBytes(int.MaxValue)).Stop(),
            "at byte 2: a string of 2147483647 bytes is longer than the 1 bytes left in the pickle."),
        Case("invalid UTF-8", new Pickle().Proto().Raw((byte)'X', 2, 0, 0, 0, 0xc3, 0x28).Stop(), "at byte 2: a string is not valid UTF-8."),
        Case("root is a list", new Pickle().Proto().EmptyList().Stop(), null),
        Case("OrderedDict with arguments", new Pickle().Proto().Global("collections", "OrderedDict").Mark().EmptyList().Tuple().Reduce().Stop(),
            "at byte 30: collections.OrderedDict is called with 1 argument(s); torch.save calls it with none."),
        Case("BUILD sets another attribute", new Pickle().Proto().Global("collections", "OrderedDict").EmptyTuple().Reduce()
                .EmptyDict().Str("__class__").Str("x").SetItem().Build().Stop(),
            "at byte 51: BUILD sets the attribute '__class__' on an OrderedDict; only _metadata is allowed."),
        Case("calling a storage class", new Pickle().Proto().Global("torch", "FloatStorage").EmptyTuple().Reduce().Stop(),
            "at byte 23: 'torch.FloatStorage' is called, but a storage class is only a tag inside a persistent id."),
        Case("NEWOBJ of a class that is no record", new Pickle().Proto().Global("collections", "OrderedDict").EmptyTuple().Raw(0x81).Stop(),
            "at byte 28: NEWOBJ creates 'collections.OrderedDict', which is not a record class (argparse.Namespace); nothing was executed."),
        Case("NEWOBJ of a record with arguments", new Pickle().Proto().Global("argparse", "Namespace").Mark().Str("x").Tuple().Raw(0x81).Stop(),
            "at byte 30: NEWOBJ creates 'argparse.Namespace' with 1 argument(s); pickle creates it with none."),
        Case("calling a record class", new Pickle().Proto().Global("argparse", "Namespace").EmptyTuple().Reduce().Stop(),
            "at byte 23: 'argparse.Namespace' is called; a record class is only ever created by NEWOBJ and filled by BUILD."),
        Case("a record built twice", new Pickle().Proto().Global("argparse", "Namespace").EmptyTuple().Raw(0x81).EmptyDict().Build().EmptyDict().Build().Stop(),
            "at byte 27: BUILD sets the state of 'argparse.Namespace' a second time."),
        Case("a record's attribute named by an integer", new Pickle().Proto().Global("argparse", "Namespace").EmptyTuple().Raw(0x81)
                .EmptyDict().Int(1).None().SetItem().Build().Stop(),
            "at byte 29: BUILD's state for 'argparse.Namespace' must be a dict of attribute names, got a dict of 1."),
        Case("persistent id of another shape", new Pickle().Proto().Mark().Str("storage").Tuple().PersistentId().Stop(),
            "at byte 16: a persistent id must be ('storage', torch.<Type>Storage, key, location, element count), got (the string 'storage')."),
    };

    private static object[] Case(string name, Pickle pickle, string? problem) => new object[] { name, pickle.Bytes(), problem! };

    [Theory]
    [MemberData(nameof(Pickles))]
    public void A_pickle_that_torch_save_would_not_write_is_refused_with_its_opcode_and_byte(string name, byte[] pickle, string? problem)
    {
        string message = Rejected(CraftedCheckpoint.Archive(pickle));

        message.Should().Be(CraftedCheckpoint.Prefix + (problem is null
            ? "the pickle holds a list of 0, not a state dict (a dict of tensors)."
            : "'archive/data.pkl', " + problem), name);
    }

    public static IEnumerable<object[]> Tensors() => new[]
    {
        View("outside the storage", 0, new long[] { 1L << 20, 1L << 20 }, new long[] { 1L << 20, 1 },
            "a tensor with size (1048576, 1048576), stride (1048576, 1) and offset 0 reaches element 1099511627775 of storage '0', which holds 6."),
        View("offset past the end", 5, new long[] { 2 }, new long[] { 1 },
            "a tensor with size (2), stride (1) and offset 5 reaches element 6 of storage '0', which holds 6."),
        View("overflowing size", 0, new long[] { 1L << 62, 4 }, new long[] { 4, 1 },
            "a tensor with size (4611686018427387904, 4), stride (4, 1) and offset 0 overflows 64-bit element arithmetic."),
        View("negative stride", 0, new long[] { 2 }, new long[] { -1 },
            "a tensor has storage offset 0, size (2) and stride (-1); none may be negative."),
        View("stride count", 0, new long[] { 2, 3 }, new long[] { 1 }, "a tensor has size (2, 3) but stride (1): one stride per dimension is needed."),
        View("17 dimensions", 0, Enumerable.Repeat(1L, 17).ToArray(), Enumerable.Repeat(1L, 17).ToArray(),
            "a tensor has 17 dimensions; at most 16 are supported."),
    };

    private static object[] View(string name, long offset, long[] size, long[] stride, string problem) =>
        new object[] { name, CraftedCheckpoint.StateDict(offset, size, stride), problem };

    [Theory]
    [MemberData(nameof(Tensors))]
    public void A_view_that_leaves_its_storage_is_refused_before_anything_is_allocated(string name, byte[] pickle, string problem)
    {
        string message = Rejected(CraftedCheckpoint.Archive(pickle, Storage0));

        message.Should().StartWith(CraftedCheckpoint.Prefix + "'archive/data.pkl', at byte ", name);
        message.Should().EndWith(": " + problem, name);
    }

    public static IEnumerable<object[]> Archives()
    {
        byte[] good = CraftedCheckpoint.StateDict();
        byte[] eight = CraftedCheckpoint.SixFloats[..8];
        yield return Archive("storage shorter than declared", CraftedCheckpoint.Archive(good, ("0", eight)),
            "entry 'archive/data/0' holds 8 bytes but storage '0' is 6 x FloatStorage = 24 bytes.");
        yield return Archive("2^40 elements declared", CraftedCheckpoint.Archive(CraftedCheckpoint.StateDict(elements: 1L << 40), Storage0),
            "entry 'archive/data/0' holds 24 bytes but storage '0' is 1099511627776 x FloatStorage = 4398046511104 bytes.");
        yield return Archive("storage missing", CraftedCheckpoint.Archive(good), "storage '0' named in data.pkl has no entry 'archive/data/0'.");
        yield return Archive("storage no one uses", CraftedCheckpoint.Archive(good, ("0", CraftedCheckpoint.SixFloats), ("1", eight)),
            "entry 'archive/data/1' is a storage that no persistent id in data.pkl names.");
        yield return Archive("big-endian", CraftedCheckpoint.Zip(("archive/data.pkl", good), ("archive/data/0", CraftedCheckpoint.SixFloats),
                ("archive/byteorder", Encoding.ASCII.GetBytes("big"))),
            "the storages are big-endian (byteorder 'big'); only little-endian checkpoints are read. In Python, load and save it again on a little-endian machine.");
        yield return Archive("TorchScript", CraftedCheckpoint.Zip(("model/data.pkl", good), ("model/constants.pkl", good)),
            "entry 'model/constants.pkl' belongs to a TorchScript archive (torch.jit.save), not a state dict: in Python, save torch.jit.load(path).state_dict() with torch.save.");
        yield return Archive("two folders", CraftedCheckpoint.Zip(("a/data.pkl", good), ("b/data/0", CraftedCheckpoint.SixFloats)),
            "entry 'b/data/0' lies outside the archive's folder 'a/'; torch.save puts every record in one folder.");
        yield return Archive("a zipped checkpoint", CraftedCheckpoint.Zip(("weights.pth", good)),
            "the zip archive holds the single file 'weights.pth' (a zipped checkpoint, as torch.hub once accepted): unzip it and load the file inside.");
        yield return Archive("no data.pkl", CraftedCheckpoint.Zip(("archive/version", good), ("archive/data/0", CraftedCheckpoint.SixFloats)),
            "the archive has no 'archive/data.pkl', so it is not a torch.save checkpoint.");
        yield return Archive("control character", CraftedCheckpoint.Zip(("archive/data\n.pkl", good)),
            "an entry name holds a control character or a backslash; torch writes plain relative names.");
        yield return Archive("path traversal", CraftedCheckpoint.Zip(("archive/../data.pkl", good)),
            "entry name 'archive/../data.pkl' is absolute or has an empty, '.' or '..' segment.");
        yield return Archive("duplicate entry", CraftedCheckpoint.Zip(("archive/data.pkl", good), ("archive/data.pkl", good)),
            "entry 'archive/data.pkl' appears twice.");
        var zip = CraftedCheckpoint.Archive(good, Storage0);
        yield return Archive("truncated", zip[..(zip.Length / 2)], "no zip end record lies at the end of the file (is it truncated?).");
        yield return Archive("compressed", Patched(zip, 10, 8), "entry 'archive/data.pkl' is compressed (method 8); torch.save stores entries uncompressed.");
        yield return Archive("encrypted", Patched(zip, 8, 1), "entry 'archive/data.pkl' is encrypted.");
        var corrupt = (byte[])zip.Clone();
        corrupt[30 + "archive/data.pkl".Length + good.Length + 30 + "archive/data/0".Length + 5] ^= 0x40;   // inside storage 0's bytes
        yield return Archive("flipped storage bit", corrupt, "entry 'archive/data/0' fails its CRC-32 check (stored 91e79017, computed dcef7c3f): the file is corrupt.");
    }

    private static object[] Archive(string name, byte[] bytes, string problem) => new object[] { name, bytes, problem };

    /// <summary>Sets a 16-bit field of data.pkl's central directory record (the archive's first).</summary>
    private static byte[] Patched(byte[] zip, int field, ushort value)
    {
        var bytes = (byte[])zip.Clone();
        int directory = (int)BitConverter.ToUInt32(bytes, bytes.Length - 6);
        BitConverter.TryWriteBytes(bytes.AsSpan(directory + field, 2), value);
        return bytes;
    }

    [Theory]
    [MemberData(nameof(Archives))]
    public void An_archive_that_disagrees_with_itself_is_refused_and_nothing_stays_allocated(string name, byte[] bytes, string problem) =>
        Rejected(bytes).Should().Be(CraftedCheckpoint.Prefix + problem, name);

    [Fact]
    public void A_file_stem_outside_ASCII_names_the_archive_folder_as_torch_writes_it()
    {
        using var scope = NewDisposeScope();
        var loaded = CraftedCheckpoint.Load(CraftedCheckpoint.Zip(("modèle/data.pkl", CraftedCheckpoint.StateDict()), ("modèle/data/0", CraftedCheckpoint.SixFloats)));

        loaded["w"].shape.Should().Equal(2, 3);
    }

    [Fact]
    public void Legacy_storages_must_match_their_ids_and_end_the_file()
    {
        byte[] file = System.IO.File.ReadAllBytes(Testing.Fixtures.File("pth", "mixed_legacy.pth"));

        Rejected([.. file, 0]).Should().Be(CraftedCheckpoint.Prefix + "1 byte(s) follow the last storage.");
        Rejected(file[..^1]).Should().StartWith(CraftedCheckpoint.Prefix + "storage '").And.Contain("but the file ends at");
        var first = StorageHeader(file);
        var wrongCount = (byte[])file.Clone();
        wrongCount[first] ^= 1;
        Rejected(wrongCount).Should().MatchRegex("holds [0-9]+ elements but its persistent id says [0-9]+\\.$");
    }

    /// <summary>Byte position of the first storage's element count in a legacy file, as the reader locates it.</summary>
    private static int StorageHeader(byte[] file)
    {
        using var stream = new System.IO.MemoryStream(file);
        var description = LegacyCheckpoint.Describe(stream, m => new InvalidOperationException(m));
        return (int)description.Storages.Min(s => s.Position) - 8;
    }

    /// <summary>Loads the bytes expecting rejection; checks that no tensor is left in the dispose scope; returns the message.</summary>
    private static string Rejected(byte[] bytes)
    {
        using var scope = NewDisposeScope();
        var thrown = FluentActions.Invoking(() => CraftedCheckpoint.Load(bytes)).Should().ThrowExactly<PyTorchCheckpointFormatException>().Which;
        scope.DisposablesCount.Should().Be(0, "a rejected file leaves nothing allocated");
        return thrown.Message;
    }

    private static Pickle Nested(int depth)
    {
        var pickle = new Pickle().Proto();
        for (int i = 0; i < depth; i++)
            pickle.EmptyList();
        for (int i = 1; i < depth; i++)
            pickle.Append();
        return pickle.Stop();
    }

    private static Pickle SelfAppended(int times)
    {
        var pickle = new Pickle().Proto().EmptyList().Put(0);
        for (int i = 0; i < times; i++)
            pickle.Get(0).Append();
        return pickle.Stop();
    }
}
