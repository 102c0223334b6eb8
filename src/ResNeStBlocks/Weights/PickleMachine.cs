using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Numerics;
using System.Text;

namespace ResNeStBlocks.Weights;

/// <summary>
/// A pickle reader that understands only what <c>torch.save</c> writes for a state dict, and builds inert values
/// (<see cref="PickleTuple"/>, <see cref="PickleDict"/>, <see cref="TensorReference"/>, ...) instead of calling anything. The globals it accepts are <c>collections.OrderedDict</c>,
/// <c>torch._utils._rebuild_tensor_v2</c>, <c>torch._utils._rebuild_parameter</c>, the <c>torch.*Storage</c>
/// classes and <c>argparse.Namespace</c> (the command line a training checkpoint carries, read as an inert
/// <see cref="PickleRecord"/> of plain values); any other global, opcode or argument shape stops the reading with a
/// <see cref="PyTorchCheckpointFormatException"/> before the next opcode.
/// </summary>
/// <remarks>
/// Every length is checked against the bytes left before it is allocated, containers nest at most
/// <see cref="PyTorchCheckpoint.MaxNesting"/> deep (a cycle through the memo counts as deeper each time), a dict key
/// may not repeat, and the pickle must end with STOP leaving exactly one value and no open mark.
/// </remarks>
internal sealed class PickleMachine
{
    private const string RebuildModule = "torch._utils";

    /// <summary>The classes read as inert records: what torchvision's and timm's training scripts pickle beside the weights.</summary>
    private static readonly PickleGlobal[] RecordTypes = [new("argparse", "Namespace")];

    private readonly Stream input;
    private readonly long limit;
    private readonly Func<string, Exception> fail;
    private readonly Func<PickleTuple, Func<string, Exception>, StorageReference> persistentLoad;
    private readonly List<object?> stack = new();
    private readonly List<int> marks = new();
    private readonly Dictionary<long, object?> memo = new();
    private long consumed;
    private long opcodeAt;

    /// <param name="input">The pickle's bytes, from the current position.</param>
    /// <param name="limit">The most bytes the pickle may take.</param>
    /// <param name="fail">Builds the exception for a problem (the caller adds the file's name and the pickle's).</param>
    /// <param name="persistentLoad">Resolves a persistent id (the storage of a tensor), or throws the exception that the given function builds.</param>
    private PickleMachine(Stream input, long limit, Func<string, Exception> fail, Func<PickleTuple, Func<string, Exception>, StorageReference> persistentLoad)
    {
        this.input = input;
        this.limit = limit;
        this.fail = fail;
        this.persistentLoad = persistentLoad;
    }

    /// <summary>The globals a state dict may name, for messages.</summary>
    public static string AllowedGlobals =>
        "collections.OrderedDict, torch._utils._rebuild_tensor_v2, torch._utils._rebuild_parameter, torch.{"
        + string.Join(",", TorchStorageTypes.Table.Names) + "} and " + string.Join(", ", RecordTypes.Select(t => t.ToString())) + " (read as an inert record)";

    /// <summary>Reads one pickle up to and including its STOP opcode.</summary>
    /// <param name="input">The stream, positioned at the pickle's first byte; left just after STOP.</param>
    /// <param name="limit">The most bytes the pickle may take.</param>
    /// <param name="fail">Builds the exception for a problem, given its description.</param>
    /// <param name="persistentLoad">Resolves a persistent id to a storage, or throws the exception that the given function builds (which adds the byte position).</param>
    /// <returns>The pickled value and the number of bytes read.</returns>
    public static (object? Value, long Bytes) Read(Stream input, long limit, Func<string, Exception> fail, Func<PickleTuple, Func<string, Exception>, StorageReference> persistentLoad)
    {
        var machine = new PickleMachine(input, limit, fail, persistentLoad);
        var value = machine.Run();
        return (value, machine.consumed);
    }

    private Exception Fail(string problem) => fail($"at byte {opcodeAt}: {problem}");

    private object? Run()
    {
        while (true)
        {
            opcodeAt = consumed;
            byte opcode = ReadByte();
            switch (opcode)
            {
                case 0x80: // PROTO
                    byte protocol = ReadByte();
                    if (protocol > 5)
                        throw Fail($"pickle protocol {protocol} is unknown (torch.save writes protocol 2).");
                    break;
                case 0x95: // FRAME: a length hint only
                    ReadBytes(8);
                    break;
                case (byte)'.': // STOP
                    if (stack.Count != 1 || marks.Count != 0)
                        throw Fail($"STOP leaves {stack.Count} value(s) and {marks.Count} open mark(s); a pickle ends with exactly one value.");
                    return stack[0];
                case (byte)'(': marks.Add(stack.Count); break;
                case (byte)'N': stack.Add(null); break;
                case 0x88: stack.Add(true); break;
                case 0x89: stack.Add(false); break;
                case (byte)'K': stack.Add((long)ReadByte()); break;
                case (byte)'M': stack.Add((long)BitConverter.ToUInt16(ReadBytes(2))); break;
                case (byte)'J': stack.Add((long)BitConverter.ToInt32(ReadBytes(4))); break;
                case 0x8a: stack.Add(Long(ReadBytes(ReadByte()))); break; // LONG1
                case (byte)'G': stack.Add(BitConverter.Int64BitsToDouble(System.Buffers.Binary.BinaryPrimitives.ReadInt64BigEndian(ReadBytes(8)))); break;
                case (byte)'X': stack.Add(Text(ReadBytes(ReadLength(4)))); break; // BINUNICODE
                case 0x8c: stack.Add(Text(ReadBytes(ReadByte()))); break;        // SHORT_BINUNICODE
                case (byte)'T': stack.Add(Text(ReadBytes(ReadLength(4)))); break; // BINSTRING (Python 2 str, read as UTF-8 as torch.load does)
                case (byte)'U': stack.Add(Text(ReadBytes(ReadByte()))); break;    // SHORT_BINSTRING
                case (byte)'c': stack.Add(Global(Line(), Line())); break;          // GLOBAL
                case 0x93: // STACK_GLOBAL
                {
                    string name = Pop<string>("STACK_GLOBAL's name");
                    string module = Pop<string>("STACK_GLOBAL's module");
                    stack.Add(Global(module, name));
                    break;
                }
                case (byte)'q': Memoize(ReadByte()); break;                                  // BINPUT
                case (byte)'r': Memoize(BitConverter.ToUInt32(ReadBytes(4))); break;         // LONG_BINPUT
                case 0x94: Memoize(memo.Count); break;                                      // MEMOIZE
                case (byte)'h': stack.Add(Recall(ReadByte())); break;                        // BINGET
                case (byte)'j': stack.Add(Recall(BitConverter.ToUInt32(ReadBytes(4)))); break; // LONG_BINGET
                case (byte)')': stack.Add(new PickleTuple(Array.Empty<object?>())); break;
                case 0x85: stack.Add(Tuple(PopMany(1))); break;
                case 0x86: stack.Add(Tuple(PopMany(2))); break;
                case 0x87: stack.Add(Tuple(PopMany(3))); break;
                case (byte)'t': stack.Add(Tuple(PopToMark())); break;
                case (byte)']': stack.Add(new PickleList()); break;
                case (byte)'l':
                {
                    var list = new PickleList();
                    foreach (var item in PopToMark())
                        Append(list, item);
                    stack.Add(list);
                    break;
                }
                case (byte)'a':
                {
                    var item = PopAny("APPEND's value");
                    Append(Peek<PickleList>("APPEND's list"), item);
                    break;
                }
                case (byte)'e':
                {
                    var items = PopToMark();
                    var list = Peek<PickleList>("APPENDS's list");
                    foreach (var item in items)
                        Append(list, item);
                    break;
                }
                case (byte)'}': stack.Add(new PickleDict(ordered: false)); break;
                case (byte)'d':
                {
                    var dict = new PickleDict(ordered: false);
                    SetItems(dict, PopToMark());
                    stack.Add(dict);
                    break;
                }
                case (byte)'s':
                {
                    var pair = PopMany(2);
                    SetItems(Peek<PickleDict>("SETITEM's dict"), pair);
                    break;
                }
                case (byte)'u':
                {
                    var items = PopToMark();
                    SetItems(Peek<PickleDict>("SETITEMS's dict"), items);
                    break;
                }
                case (byte)'R': // REDUCE
                {
                    var arguments = Pop<PickleTuple>("REDUCE's arguments");
                    var callable = Pop<PickleGlobal>("REDUCE's callable");
                    stack.Add(Call(callable, arguments));
                    break;
                }
                case 0x81: // NEWOBJ: cls.__new__(cls, *args), allowed for the record classes alone
                {
                    var arguments = Pop<PickleTuple>("NEWOBJ's arguments");
                    var type = Pop<PickleGlobal>("NEWOBJ's class");
                    if (!RecordTypes.Contains(type))
                        throw Fail($"NEWOBJ creates '{type}', which is not a record class ({string.Join(", ", RecordTypes.Select(t => t.ToString()))}); nothing was executed.");
                    if (arguments.Items.Length != 0)
                        throw Fail($"NEWOBJ creates '{type}' with {arguments.Items.Length} argument(s); pickle creates it with none.");
                    stack.Add(new PickleRecord(type));
                    break;
                }
                case (byte)'b': // BUILD
                {
                    var state = PopAny("BUILD's state");
                    Build(PeekAny("BUILD's object"), state);
                    break;
                }
                case (byte)'Q': // BINPERSID
                {
                    var id = PopAny("the persistent id");
                    stack.Add(persistentLoad(id as PickleTuple ?? throw Fail($"a persistent id must be a tuple, got {Describe(id)}."), Fail));
                    break;
                }
                default:
                    throw Fail($"opcode 0x{opcode:x2}{Printable(opcode)} is not one that torch.save writes for a state dict.");
            }
        }
    }

    private static string Printable(byte opcode) => opcode is >= 0x21 and <= 0x7e ? $" ('{(char)opcode}')" : "";

    private object Global(string module, string name)
    {
        bool allowed = (module, name) switch
        {
            ("collections", "OrderedDict") => true,
            (RebuildModule, "_rebuild_tensor_v2" or "_rebuild_parameter") => true,
            ("torch", _) => TorchStorageTypes.Table.TryParse(name, out _, out _),
            _ => RecordTypes.Contains(new PickleGlobal(module, name)),
        };
        if (!allowed)
            throw Fail($"the pickle names the global '{module}.{name}', which a state dict never needs (allowed: {AllowedGlobals}); nothing was executed.");
        return new PickleGlobal(module, name);
    }

    private object? Call(PickleGlobal callable, PickleTuple arguments)
    {
        var args = arguments.Items;
        switch (callable.Module, callable.Name)
        {
            case ("collections", "OrderedDict"):
                if (args.Length != 0)
                    throw Fail($"collections.OrderedDict is called with {args.Length} argument(s); torch.save calls it with none.");
                return new PickleDict(ordered: true);
            case (RebuildModule, "_rebuild_parameter"):
                if (args.Length != 3 || args[0] is not TensorReference data || args[1] is not bool || !IsEmptyOrderedDict(args[2]))
                    throw Fail($"torch._utils._rebuild_parameter expects (tensor, requires_grad, empty backward hooks), got ({DescribeAll(args)}).");
                return data;
            case (RebuildModule, "_rebuild_tensor_v2"):
                return RebuildTensor(args);
            default:
                throw Fail(RecordTypes.Contains(callable)
                    ? $"'{callable}' is called; a record class is only ever created by NEWOBJ and filled by BUILD."
                    : $"'{callable}' is called, but a storage class is only a tag inside a persistent id.");
        }
    }

    private TensorReference RebuildTensor(object?[] args)
    {
        if (args.Length is not (6 or 7) || args[0] is not StorageReference storage || args[1] is not long offset
            || args[2] is not PickleTuple shapeTuple || args[3] is not PickleTuple strideTuple || args[4] is not bool
            || !IsEmptyOrderedDict(args[5]) || (args.Length == 7 && args[6] is not (null or PickleDict { Items.Count: 0 })))
            throw Fail("torch._utils._rebuild_tensor_v2 expects (storage, offset, size tuple, stride tuple, requires_grad, empty backward hooks[, empty metadata]), "
                + $"got ({DescribeAll(args)}).");
        long[] shape = Integers(shapeTuple, "size");
        long[] strides = Integers(strideTuple, "stride");
        if (shape.Length > PyTorchCheckpoint.MaxDimensions)
            throw Fail($"a tensor has {shape.Length} dimensions; at most {PyTorchCheckpoint.MaxDimensions} are supported.");
        if (strides.Length != shape.Length)
            throw Fail($"a tensor has size ({string.Join(", ", shape)}) but stride ({string.Join(", ", strides)}): one stride per dimension is needed.");
        if (offset < 0 || shape.Any(d => d < 0) || strides.Any(s => s < 0))
            throw Fail($"a tensor has storage offset {offset}, size ({string.Join(", ", shape)}) and stride ({string.Join(", ", strides)}); none may be negative.");
        CheckBounds(storage, offset, shape, strides);
        return new TensorReference(storage, offset, shape, strides);
    }

    /// <summary>The view must lie inside its storage: offset plus the farthest element's distance is below the storage's element count.</summary>
    private void CheckBounds(StorageReference storage, long offset, long[] shape, long[] strides)
    {
        string view = $"size ({string.Join(", ", shape)}), stride ({string.Join(", ", strides)}) and offset {offset}";
        try
        {
            checked
            {
                long elements = 1;
                foreach (long dim in shape)
                    elements *= dim;
                if (elements == 0)
                {
                    if (offset > storage.Elements)
                        throw Fail($"an empty tensor's offset {offset} lies past storage '{storage.Key}' of {storage.Elements} elements.");
                    return;
                }
                long last = offset;
                for (int d = 0; d < shape.Length; d++)
                    last += (shape[d] - 1) * strides[d];
                if (last >= storage.Elements)
                    throw Fail($"a tensor with {view} reaches element {last} of storage '{storage.Key}', which holds {storage.Elements}.");
            }
        }
        catch (OverflowException)
        {
            throw Fail($"a tensor with {view} overflows 64-bit element arithmetic.");
        }
    }

    private long[] Integers(PickleTuple tuple, string what)
    {
        var values = new long[tuple.Items.Length];
        for (int i = 0; i < values.Length; i++)
            values[i] = tuple.Items[i] as long? ?? throw Fail($"a tensor's {what} must hold integers, got {Describe(tuple.Items[i])}.");
        return values;
    }

    private static bool IsEmptyOrderedDict(object? value) => value is PickleDict { Ordered: true, Items.Count: 0 };

    /// <summary>
    /// BUILD on a dict may set only <c>_metadata</c>, the attribute torch attaches to a state dict; on a record, its
    /// attribute dict, once (string names; values are whatever else this reader accepts).
    /// </summary>
    private void Build(object? target, object? state)
    {
        if (target is PickleRecord record)
        {
            if (record.Attributes is not null)
                throw Fail($"BUILD sets the state of '{record.Type}' a second time.");
            if (state is not PickleDict { Ordered: false } fields || fields.Items.Any(f => f.Key is not string))
                throw Fail($"BUILD's state for '{record.Type}' must be a dict of attribute names, got {Describe(state)}.");
            record.Attributes = fields;
            Nest(record, fields);
            return;
        }
        if (target is not PickleDict { Ordered: true } dict)
            throw Fail($"BUILD sets state on {Describe(target)}; only an OrderedDict's _metadata or a record's attributes may be set.");
        if (state is not PickleDict attributes)
            throw Fail($"BUILD's state must be a dict of attributes, got {Describe(state)}.");
        foreach (var (name, value) in attributes.Items)
        {
            if (name is not "_metadata")
                throw Fail($"BUILD sets the attribute '{name}' on an OrderedDict; only _metadata is allowed.");
            if (value is not (PickleDict or null))
                throw Fail($"_metadata must be a dict, got {Describe(value)}.");
        }
        dict.HasMetadata = true;
    }

    private void SetItems(PickleDict dict, IReadOnlyList<object?> items)
    {
        if (items.Count % 2 != 0)
            throw Fail($"a dict is given {items.Count} items, not key-value pairs.");
        for (int i = 0; i < items.Count; i += 2)
        {
            object key = items[i] is string or long ? items[i]! : throw Fail($"a dict key must be a string or an integer, got {Describe(items[i])}.");
            if (!dict.Keys.Add(key))
                throw Fail($"the key '{key}' appears twice in one dict.");
            dict.Items.Add(new KeyValuePair<object, object?>(key, items[i + 1]));
            Nest(dict, items[i + 1]);
        }
    }

    private void Append(PickleList list, object? item)
    {
        list.Items.Add(item);
        Nest(list, item);
    }

    private PickleTuple Tuple(object?[] items)
    {
        var tuple = new PickleTuple(items);
        foreach (var item in items)
            Nest(tuple, item);
        return tuple;
    }

    private void Nest(PickleContainer container, object? item)
    {
        if (item is PickleContainer inner)
            container.Depth = Math.Max(container.Depth, inner.Depth + 1);
        if (container.Depth > PyTorchCheckpoint.MaxNesting)
            throw Fail($"containers nest more than {PyTorchCheckpoint.MaxNesting} deep; a state dict needs 3.");
    }

    private void Memoize(long index)
    {
        if (stack.Count == 0)
            throw Fail("a memo store finds the stack empty.");
        memo[index] = stack[^1];
    }

    private object? Recall(long index) =>
        memo.TryGetValue(index, out var value) ? value : throw Fail($"memo entry {index} is read before it is stored.");

    private T Pop<T>(string what)
    {
        var value = Peek<T>(what);
        stack.RemoveAt(stack.Count - 1);
        return value;
    }

    private object? PopAny(string what)
    {
        var value = PeekAny(what);
        stack.RemoveAt(stack.Count - 1);
        return value;
    }

    private T Peek<T>(string what)
    {
        var top = PeekAny(what);
        return top is T value ? value : throw Fail($"{what} must be {Kind<T>()}, got {Describe(top)}.");
    }

    /// <summary>The top of the stack; a mark hides what lies below it.</summary>
    private object? PeekAny(string what)
    {
        if (stack.Count == 0 || (marks.Count > 0 && marks[^1] == stack.Count))
            throw Fail($"{what} is missing: the stack is empty{(stack.Count > 0 ? " above the last mark" : "")}.");
        return stack[^1];
    }

    private object?[] PopMany(int count)
    {
        int floor = marks.Count > 0 ? marks[^1] : 0;
        if (stack.Count - floor < count)
            throw Fail($"{count} value(s) are needed but the stack holds {stack.Count - floor}.");
        var items = stack.GetRange(stack.Count - count, count).ToArray();
        stack.RemoveRange(stack.Count - count, count);
        return items;
    }

    private object?[] PopToMark()
    {
        if (marks.Count == 0)
            throw Fail("an opcode needs a mark but none is open.");
        int mark = marks[^1];
        marks.RemoveAt(marks.Count - 1);
        var items = stack.GetRange(mark, stack.Count - mark).ToArray();
        stack.RemoveRange(mark, stack.Count - mark);
        return items;
    }

    private static string Kind<T>() => typeof(T) == typeof(string) ? "a string"
        : typeof(T) == typeof(PickleTuple) ? "a tuple"
        : typeof(T) == typeof(PickleList) ? "a list"
        : typeof(T) == typeof(PickleDict) ? "a dict"
        : "an allowed global";

    /// <summary>A short description of a value for messages (never its contents).</summary>
    public static string Describe(object? value) => value switch
    {
        null => "None",
        bool b => b ? "True" : "False",
        long or BigInteger => "an integer",
        double => "a float",
        string s => s.Length <= 40 ? $"the string '{s}'" : "a string",
        PickleTuple t => $"a tuple of {t.Items.Length}",
        PickleList l => $"a list of {l.Items.Count}",
        PickleDict d => $"{(d.Ordered ? "an OrderedDict" : "a dict")} of {d.Items.Count}",
        PickleGlobal g => $"the global '{g}'",
        PickleRecord r => $"an {r.Type} record",
        StorageReference s => $"storage '{s.Key}'",
        TensorReference => "a tensor",
        _ => value.GetType().Name,
    };

    private static string DescribeAll(object?[] values) => string.Join(", ", values.Select(Describe));

    private byte ReadByte()
    {
        if (consumed >= limit)
            throw Fail($"the pickle runs past its {limit}-byte limit without a STOP opcode.");
        int value = input.ReadByte();
        if (value < 0)
            throw Fail("the file ends inside the pickle, before its STOP opcode.");
        consumed++;
        return (byte)value;
    }

    private int ReadLength(int bytes)
    {
        uint length = BitConverter.ToUInt32(ReadBytes(bytes));
        if (length > limit - consumed)
            throw Fail($"a string of {length} bytes is longer than the {limit - consumed} bytes left in the pickle.");
        return (int)length;
    }

    private byte[] ReadBytes(int count)
    {
        if (count > limit - consumed)
            throw Fail($"{count} bytes are needed but the pickle has {limit - consumed} left.");
        var bytes = new byte[count];
        try
        {
            input.ReadExactly(bytes);
        }
        catch (EndOfStreamException)
        {
            throw Fail("the file ends inside the pickle, before its STOP opcode.");
        }
        consumed += count;
        return bytes;
    }

    /// <summary>One newline-terminated ASCII line, as GLOBAL spells a module or a name.</summary>
    private string Line()
    {
        var text = new StringBuilder();
        while (true)
        {
            byte b = ReadByte();
            if (b == (byte)'\n')
                return text.ToString();
            if (b is < 0x20 or > 0x7e || text.Length >= 256)
                throw Fail("GLOBAL's module or name is not a short printable ASCII line.");
            text.Append((char)b);
        }
    }

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private string Text(byte[] bytes)
    {
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw Fail("a string is not valid UTF-8.");
        }
    }

    /// <summary>LONG1's little-endian two's complement bytes, as a long when it fits.</summary>
    private static object Long(byte[] bytes)
    {
        if (bytes.Length == 0)
            return 0L;
        var value = new BigInteger(bytes, isUnsigned: false, isBigEndian: false);
        return value >= long.MinValue && value <= long.MaxValue ? (object)(long)value : value;
    }
}
