using System;
using System.Collections.Generic;
using System.Text;

namespace ResNeStBlocks.Testing;

/// <summary>
/// Writes pickle opcodes (protocol 2 and the few of 4 the reader knows), one call per opcode: <see cref="PthWriter"/>
/// writes torch.save's pickles with it, and the reader's tests craft broken ones.
/// </summary>
public sealed class Pickle
{
    private readonly List<byte> bytes = new();

    public byte[] Bytes() => bytes.ToArray();

    public Pickle Raw(params byte[] values) { bytes.AddRange(values); return this; }

    public Pickle Proto(byte version = 2) => Raw(0x80, version);
    public Pickle Stop() => Raw((byte)'.');
    public Pickle Mark() => Raw((byte)'(');
    public Pickle Global(string module, string name) => Raw((byte)'c').Raw(Encoding.ASCII.GetBytes(module + "\n" + name + "\n"));
    public Pickle Str(string text)
    {
        var utf8 = Encoding.UTF8.GetBytes(text);
        return Raw((byte)'X').Raw(BitConverter.GetBytes(utf8.Length)).Raw(utf8);
    }
    public Pickle ShortStr(string text)
    {
        var utf8 = Encoding.UTF8.GetBytes(text);
        return Raw(0x8c, (byte)utf8.Length).Raw(utf8);
    }
    public Pickle Int(long value) => value is >= 0 and <= 255 ? Raw((byte)'K', (byte)value)
        : value is >= int.MinValue and <= int.MaxValue ? Raw((byte)'J').Raw(BitConverter.GetBytes((int)value))
        : Raw(0x8a, 8).Raw(BitConverter.GetBytes(value));
    public Pickle Put(byte index) => Raw((byte)'q', index);
    public Pickle Get(byte index) => Raw((byte)'h', index);
    public Pickle EmptyTuple() => Raw((byte)')');
    public Pickle Tuple() => Raw((byte)'t');
    public Pickle EmptyDict() => Raw((byte)'}');
    public Pickle EmptyList() => Raw((byte)']');
    public Pickle Append() => Raw((byte)'a');
    public Pickle SetItem() => Raw((byte)'s');
    public Pickle SetItems() => Raw((byte)'u');
    public Pickle Reduce() => Raw((byte)'R');
    public Pickle Build() => Raw((byte)'b');
    public Pickle False() => Raw(0x89);
    public Pickle None() => Raw((byte)'N');
    public Pickle PersistentId() => Raw((byte)'Q');

    public Pickle IntTuple(long[] values)
    {
        Mark();
        foreach (long v in values)
            Int(v);
        return Tuple();
    }

    /// <summary><c>_rebuild_tensor_v2((storage id), offset, size, stride, False, OrderedDict())</c>; the OrderedDict global must be memo 0.</summary>
    public Pickle Tensor(string storageType, string storageKey, long elements, long offset, long[] size, long[] stride) =>
        Global("torch._utils", "_rebuild_tensor_v2").Mark()
            .Mark().Str("storage").Global("torch", storageType).Str(storageKey).Str("cpu").Int(elements).Tuple().PersistentId()
            .Int(offset).IntTuple(size).IntTuple(stride).False().Get(0).EmptyTuple().Reduce().Tuple().Reduce();
}
