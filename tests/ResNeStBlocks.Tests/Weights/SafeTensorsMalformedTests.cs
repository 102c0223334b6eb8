using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using FluentAssertions;
using ResNeStBlocks.Weights;
using Xunit;
using static TorchSharp.torch;

namespace ResNeStBlocks.Tests.Weights;

/// <summary>One small crafted file per rule of the format; each must raise <see cref="SafeTensorsFormatException"/> naming the key and the problem.</summary>
public class SafeTensorsMalformedTests
{
    private const string Valid = """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}""";

    private static void Rejects(byte[] bytes, string message) =>
        Crafted.Loading(bytes).Should().Throw<SafeTensorsFormatException>().WithMessage($"Invalid safetensors file '{Crafted.Source}': {message}");

    private static void Rejects(string json, int dataBytes, string message) => Rejects(Crafted.File(json, Crafted.Bytes(dataBytes)), message);

    private static string Entry(string key, string dtype, string shape, long begin, long end) =>
        $"\"{key}\":{{\"dtype\":\"{dtype}\",\"shape\":{shape},\"data_offsets\":[{begin},{end}]}}";

    [Fact]
    public void The_valid_baseline_loads()
    {
        using var scope = NewDisposeScope();
        var tensors = Crafted.Load(Crafted.File(Valid, Crafted.Bytes(16)));
        tensors.Keys.Should().Equal("a", "b");
        tensors["b"].shape.Should().Equal(2);
    }

    [Fact]
    public void The_exception_is_an_IOException()
    {
        Crafted.Loading(new byte[3]).Should().Throw<IOException>().Which.Should().BeOfType<SafeTensorsFormatException>();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(7)]
    public void A_file_shorter_than_the_length_prefix_is_rejected(int length) =>
        Rejects(new byte[length], $"the file is {length} bytes long, too short for the 8-byte header length.");

    [Fact]
    public void A_header_length_over_100_MB_is_rejected_without_allocating_it() =>
        Rejects(Crafted.File(Encoding.UTF8.GetBytes("{}"), [], declaredLength: 100_000_001), "the header length 100000001 exceeds the 100000000-byte limit.");

    [Fact]
    public void The_largest_header_length_is_rejected() =>
        Rejects(Crafted.File(Encoding.UTF8.GetBytes("{}"), [], declaredLength: ulong.MaxValue), "the header length 18446744073709551615 exceeds*");

    [Fact]
    public void A_header_length_past_the_end_of_the_file_is_rejected() =>
        Rejects(Crafted.File(Encoding.UTF8.GetBytes("{}"), [], declaredLength: 99_000_000), "the header length 99000000 runs past the end of the 10-byte file.");

    [Fact]
    public void Invalid_utf8_is_rejected() =>
        Rejects(Crafted.File([(byte)'{', (byte)'"', 0xC3, 0x28, (byte)'"', (byte)':', (byte)'1', (byte)'}'], []), "the header is not valid UTF-8.");

    [Theory]
    [InlineData("")]
    [InlineData("{")]
    [InlineData("{\"a\":1,}")]
    [InlineData("{/*c*/}")]
    [InlineData("{} {}")]
    [InlineData("{}\0")]
    public void Invalid_json_is_rejected(string json) => Rejects(json, 0, "the header is not valid JSON*");

    [Theory]
    [InlineData(9)]
    [InlineData(100_000)]
    public void Nesting_deeper_than_the_limit_is_rejected(int depth) =>
        Rejects("{\"__metadata__\":{\"a\":" + new string('[', depth) + new string(']', depth) + "}}", 0,
            "the header is not valid JSON (*depth of 8 has been exceeded*");

    private const string Unpaired = "holds a \\u escape that leaves a UTF-16 surrogate unpaired (such as \"\\ud800\"), which is not valid Unicode.";

    [Theory]
    [InlineData("\\ud800")]
    [InlineData("\\udfff")]
    [InlineData("\\udc00\\ud800")]
    [InlineData("\\ud800x")]
    [InlineData("\\ud800\\ud800")]
    [InlineData("w\\ud83d")]
    public void An_unpaired_surrogate_escape_in_a_tensor_key_is_rejected(string escaped) =>
        Rejects("{" + Entry(escaped, "F32", "[1]", 0, 4) + "}", 4, "a key of the header " + Unpaired);

    [Theory]
    [InlineData("""{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"\ud800":1}}""", 4, "tensor 'w': a field name ")]
    [InlineData("""{"w":{"dtype":"F\ud80032","shape":[1],"data_offsets":[0,4]}}""", 4, "tensor 'w': 'dtype' ")]
    [InlineData("""{"__metadata__":{"\udc00":"pt"}}""", 0, "a '__metadata__' key ")]
    [InlineData("""{"__metadata__":{"format":"p\ud800t"}}""", 0, "'__metadata__' value 'format' ")]
    public void An_unpaired_surrogate_escape_anywhere_else_is_rejected(string json, int dataBytes, string where) =>
        Rejects(json, dataBytes, where + Unpaired);

    [Fact]
    public void A_surrogate_pair_escape_is_a_valid_key()
    {
        using var scope = NewDisposeScope();
        var tensors = Crafted.Load(Crafted.File("{" + Entry("w\\ud83d\\ude00", "F32", "[1]", 0, 4) + "}", Crafted.Bytes(4)));
        tensors.Keys.Should().Equal("w\U0001F600");
    }

    [Theory]
    [InlineData("[]", "Array")]
    [InlineData("\"x\"", "String")]
    [InlineData("42", "Number")]
    [InlineData("null", "Null")]
    public void A_root_that_is_not_an_object_is_rejected(string json, string kind) =>
        Rejects(json, 0, $"the header must be a JSON object, got {kind}.");

    [Theory]
    [InlineData("F8_E4M3")]
    [InlineData("f32")]
    [InlineData("")]
    public void An_unknown_dtype_is_rejected(string dtype) =>
        Rejects("{" + Entry("fc1.weight", dtype, "[2]", 0, 2) + "}", 2, $"tensor 'fc1.weight': dtype '{dtype}' is not supported*");

    [Fact]
    public void A_dtype_that_is_not_a_string_is_rejected() =>
        Rejects("""{"w":{"dtype":4,"shape":[1],"data_offsets":[0,4]}}""", 4, "tensor 'w': 'dtype' is missing or not a string.");

    [Theory]
    [InlineData("[-1]")]
    [InlineData("[2.5]")]
    [InlineData("[2.0]")]
    [InlineData("[1e1]")]
    [InlineData("[\"2\"]")]
    [InlineData("[null]")]
    [InlineData("[[2]]")]
    [InlineData("[9223372036854775808]")]
    public void A_dimension_that_is_not_a_non_negative_64_bit_integer_is_rejected(string shape) =>
        Rejects("{" + Entry("fc1.weight", "F32", shape, 0, 8) + "}", 8, $"tensor 'fc1.weight': shape {shape} must hold non-negative integers.");

    [Theory]
    [InlineData("[4294967296,4294967296]")]
    [InlineData("[4294967296,4294967296,0]")]
    [InlineData("[9223372036854775807,2]")]
    public void A_shape_whose_element_count_overflows_is_rejected(string shape) =>
        Rejects("{" + Entry("w", "F32", shape, 0, 0) + "}", 0, $"tensor 'w': shape {shape} overflows*");

    [Fact]
    public void A_huge_shape_with_a_small_span_is_rejected_before_allocating() =>
        Rejects("{" + Entry("w", "F32", "[1099511627776]", 0, 4) + "}", 4, "tensor 'w': shape [1099511627776] of F32 needs 4398046511104 bytes but data_offsets span 4.");

    [Fact]
    public void A_shape_times_dtype_size_that_is_not_the_span_is_rejected() =>
        Rejects("{" + Entry("w", "F32", "[3]", 0, 16) + "}", 16, "tensor 'w': shape [3] of F32 needs 12 bytes but data_offsets span 16.");

    [Fact]
    public void An_element_count_whose_byte_size_overflows_is_rejected() =>
        Rejects("{" + Entry("w", "F64", "[4611686018427387904]", 0, 8) + "}", 8, "tensor 'w': shape [4611686018427387904] of F64 needs more than 2^63 bytes*");

    [Fact]
    public void Too_many_dimensions_are_rejected() =>
        Rejects("{" + Entry("w", "F32", "[" + string.Join(",", new string('1', 17).ToCharArray()) + "]", 0, 4) + "}", 4,
            "tensor 'w': 17 dimensions exceed the 16 supported.");

    [Fact]
    public void Offsets_past_the_data_region_are_rejected() =>
        Rejects("{" + Entry("fc1.weight", "F32", "[2]", 8, 16) + "}", 8, "tensor 'fc1.weight': data_offsets [8, 16] run past the 8-byte data region.");

    [Theory]
    [InlineData("[8,0]")]
    [InlineData("[-8,0]")]
    [InlineData("[0,\"8\"]")]
    [InlineData("[\"0\",8]")]
    [InlineData("[0,8.5]")]
    [InlineData("[0,null]")]
    [InlineData("[0,18446744073709551616]")]
    public void Offsets_that_are_not_ordered_non_negative_integers_are_rejected(string offsets) =>
        Rejects("""{"w":{"dtype":"F32","shape":[2],"data_offsets":""" + offsets + "}}", 8,
            $"tensor 'w': data_offsets {offsets} must be integers with 0 <= begin <= end.");

    [Theory]
    [InlineData("[0]")]
    [InlineData("[0,4,8]")]
    [InlineData("{\"begin\":0}")]
    public void Offsets_that_are_not_a_pair_are_rejected(string offsets) =>
        Rejects("""{"w":{"dtype":"F32","shape":[1],"data_offsets":""" + offsets + "}}", 4, "tensor 'w': 'data_offsets' must be an array [begin, end].");

    [Fact]
    public void Overlapping_spans_are_rejected() =>
        Rejects("{" + Entry("fc1.bias", "F32", "[2]", 0, 8) + "," + Entry("fc1.weight", "F32", "[2]", 4, 12) + "}", 12,
            "tensor 'fc1.weight': data_offsets [4, 12] overlap tensor 'fc1.bias', which ends at 8.");

    [Fact]
    public void Identical_spans_are_rejected_as_overlap() =>
        Rejects("{" + Entry("b", "F32", "[2]", 0, 8) + "," + Entry("a", "F32", "[2]", 0, 8) + "}", 8,
            "tensor 'b': data_offsets [0, 8] overlap tensor 'a'*");

    [Fact]
    public void An_empty_tensor_inside_another_span_is_rejected_as_overlap() =>
        Rejects("{" + Entry("a", "F32", "[2]", 0, 8) + "," + Entry("e", "F32", "[0]", 4, 4) + "}", 8,
            "tensor 'e': data_offsets [4, 4] overlap tensor 'a'*");

    [Fact]
    public void A_hole_between_spans_is_rejected() =>
        Rejects("{" + Entry("a", "F32", "[1]", 0, 4) + "," + Entry("b", "F32", "[1]", 8, 12) + "}", 12,
            "tensor 'b': data_offsets begin at 8, leaving a hole of 4 byte(s) after byte 4.");

    [Fact]
    public void A_hole_before_the_first_span_is_rejected() =>
        Rejects("{" + Entry("a", "F32", "[1]", 4, 8) + "}", 8, "tensor 'a': data_offsets begin at 4, leaving a hole of 4 byte(s) after byte 0.");

    [Fact]
    public void Trailing_bytes_after_the_last_span_are_rejected() =>
        Rejects(Valid, 17, "the tensors cover 16 bytes but the data region holds 17: 1 trailing byte(s).");

    [Fact]
    public void Data_without_tensors_is_rejected() =>
        Rejects("{}", 4, "the tensors cover 0 bytes but the data region holds 4: 4 trailing byte(s).");

    [Fact]
    public void A_duplicate_tensor_key_is_rejected() =>
        Rejects("{" + Entry("fc1.weight", "F32", "[1]", 0, 4) + "," + Entry("fc1.weight", "F32", "[1]", 4, 8) + "}", 8,
            "key 'fc1.weight' appears twice in the header.");

    [Fact]
    public void A_duplicate_metadata_entry_is_rejected() =>
        Rejects("""{"__metadata__":{},"__metadata__":{}}""", 0, "key '__metadata__' appears twice in the header.");

    [Theory]
    [InlineData("dtype", """{"w":{"dtype":"F32","dtype":"I32","shape":[1],"data_offsets":[0,4]}}""")]
    [InlineData("shape", """{"w":{"dtype":"F32","shape":[1],"shape":[2],"data_offsets":[0,4]}}""")]
    [InlineData("data_offsets", """{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"data_offsets":[0,4]}}""")]
    public void A_duplicate_field_inside_an_entry_is_rejected(string field, string json) =>
        Rejects(json, 4, $"tensor 'w': field '{field}' appears twice.");

    [Fact]
    public void A_duplicate_metadata_key_is_rejected() =>
        Rejects("""{"__metadata__":{"format":"pt","format":"np"}}""", 0, "'__metadata__' key 'format' appears twice.");

    [Theory]
    [InlineData("""{"__metadata__":"pt"}""", "'__metadata__' must be an object of strings, got String.")]
    [InlineData("""{"__metadata__":null}""", "'__metadata__' must be an object of strings, got Null.")]
    [InlineData("""{"__metadata__":{"format":1}}""", "'__metadata__' value 'format' must be a string, got Number.")]
    [InlineData("""{"__metadata__":{"format":{"a":"b"}}}""", "'__metadata__' value 'format' must be a string, got Object.")]
    public void Metadata_that_is_not_a_string_to_string_map_is_rejected(string json, string message) => Rejects(json, 0, message);

    [Theory]
    [InlineData("""{"w":[1]}""", "tensor 'w': its entry must be an object, got Array.")]
    [InlineData("""{"w":{"shape":[1],"data_offsets":[0,4]}}""", "tensor 'w': 'dtype' is missing or not a string.")]
    [InlineData("""{"w":{"dtype":"F32","data_offsets":[0,4]}}""", "tensor 'w': 'shape' is missing or not an array.")]
    [InlineData("""{"w":{"dtype":"F32","shape":1,"data_offsets":[0,4]}}""", "tensor 'w': 'shape' is missing or not an array.")]
    [InlineData("""{"w":{"dtype":"F32","shape":[1]}}""", "tensor 'w': 'data_offsets' must be an array [begin, end].")]
    [InlineData("""{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"stride":[1]}}""", "tensor 'w': unknown field 'stride'.")]
    public void A_malformed_entry_is_rejected(string json, string message) => Rejects(json, 4, message);

    [Fact]
    public void Bool_bytes_other_than_zero_and_one_are_rejected() =>
        Rejects(Crafted.File("{" + Entry("mask", "BOOL", "[3]", 0, 3) + "}", [1, 0, 2]), "tensor 'mask': a BOOL byte is neither 0 nor 1.");

    [Fact]
    public void Entries_listed_out_of_data_order_load_by_their_offsets()
    {
        using var scope = NewDisposeScope();
        var data = Crafted.Bytes(12);
        var tensors = Crafted.Load(Crafted.File("{" + Entry("z", "U8", "[4]", 0, 4) + "," + Entry("e", "U8", "[0]", 4, 4) + ","
            + Entry("a", "U8", "[2,4]", 4, 12) + "}", data));
        tensors.Keys.Should().Equal("z", "e", "a");
        tensors["a"].bytes.ToArray().Should().Equal(data[4..]);
        tensors["e"].shape.Should().Equal(0);
    }

    [Fact]
    public void A_header_entry_shape_cannot_be_changed_through_its_interface()
    {
        string path = Path.Combine(Path.GetTempPath(), $"st-shape-{Guid.NewGuid():N}.safetensors");
        try
        {
            File.WriteAllBytes(path, Crafted.File(Valid, Crafted.Bytes(16)));
            var shape = SafeTensors.ReadHeader(path).Entries[0].Shape;
            shape.Should().Equal(2L);
            (shape is ICollection<long> { IsReadOnly: true } and not long[]).Should().BeTrue("callers must not be able to edit a validated header");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_stream_is_read_from_its_current_position()
    {
        using var scope = NewDisposeScope();
        var file = Crafted.File(Valid, Crafted.Bytes(16));
        var padded = new byte[5 + file.Length];
        file.CopyTo(padded, 5);
        using var stream = new MemoryStream(padded) { Position = 5 };
        var tensors = SafeTensors.Load(stream, Crafted.Source);
        tensors["b"].bytes.ToArray().Should().Equal(Crafted.Bytes(16)[8..]);
    }

    [Fact]
    public void A_stream_that_cannot_seek_is_refused_by_argument()
    {
        using var stream = new NonSeekable(Crafted.File(Valid, Crafted.Bytes(16)));
        FluentActions.Invoking(() => SafeTensors.Load(stream)).Should().Throw<ArgumentException>().WithParameterName("stream");
    }

    [Fact]
    public void A_stream_shorter_than_its_length_is_rejected()
    {
        // The header and the reported length agree on 24 data bytes, but only 16 arrive, as when a file shrinks while read.
        string json = "{" + Entry("a", "F32", "[2]", 0, 8) + "," + Entry("b", "F32", "[4]", 8, 24) + "}";
        using var stream = new Lying(Crafted.File(json, Crafted.Bytes(16)), extra: 8);
        FluentActions.Invoking(() => SafeTensors.Load(stream, Crafted.Source)).Should().Throw<SafeTensorsFormatException>()
            .WithMessage("*the file ended before its declared length*");
    }

    private sealed class NonSeekable(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
    }

    /// <summary>Reports <c>extra</c> more bytes than it holds.</summary>
    private sealed class Lying(byte[] bytes, int extra) : MemoryStream(bytes)
    {
        public override long Length => base.Length + extra;
    }
}
